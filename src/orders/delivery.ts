/**
 * Delivery services the bot can track, keyed by RetailCRM delivery code: the name shown to the shopper
 * and the tracking page, where `{trackingCode}` stands for the URL-encoded tracking number. Tracking
 * data stored elsewhere in an order needs one more field path in `readTrackingCode` below.
 */
const services: Readonly<Record<string, { readonly name: string; readonly trackingUrl: string }>> = {
  "5post": { name: "5Post", trackingUrl: "https://fivepost.ru/tracking/?id={trackingCode}" },
  "pr-rs": { name: "Почта РФ", trackingUrl: "https://www.pochta.ru/tracking?barcode={trackingCode}" },
  "sdek-v-2-7b30522f5b0a597f679345a92b57c324": {
    name: "СДЭК",
    trackingUrl: "https://www.cdek.ru/ru/tracking/?order_id={trackingCode}"
  }
}

export interface DeliveryFields {
  readonly code?: string | null | undefined
  readonly integrationCode?: string | null | undefined
  readonly trackNumber?: string | null | undefined
  readonly trackingNumber?: string | null | undefined
  readonly data?: Readonly<Record<string, unknown>> | null | undefined
}

const nonEmpty = (value: unknown): string | null => {
  if (typeof value === "number") return String(value)
  return typeof value === "string" && value.trim() !== "" ? value.trim() : null
}

/** The delivery's code: `delivery.code`, else `delivery.integrationCode`. */
export const readDeliveryCode = (delivery: DeliveryFields): string | null =>
  nonEmpty(delivery.code) ?? nonEmpty(delivery.integrationCode)

/** The first present of `delivery.data.trackNumber`, `delivery.trackNumber`, `delivery.trackingNumber`. */
export const readTrackingCode = (delivery: DeliveryFields): string | null =>
  nonEmpty(delivery.data?.trackNumber) ?? nonEmpty(delivery.trackNumber) ?? nonEmpty(delivery.trackingNumber)

/** Finds the delivery's service by `delivery.code`, or failing that by `delivery.integrationCode`. */
const knownService = (delivery: DeliveryFields) => {
  const code = nonEmpty(delivery.code)
  const integrationCode = nonEmpty(delivery.integrationCode)
  return (
    (code === null ? undefined : services[code]) ?? (integrationCode === null ? undefined : services[integrationCode])
  )
}

export const deliveryServiceName = (delivery: DeliveryFields): string | null => knownService(delivery)?.name ?? null

export const trackingUrl = (delivery: DeliveryFields): string | null => {
  const trackingCode = readTrackingCode(delivery)
  const service = knownService(delivery)
  return trackingCode === null || service === undefined
    ? null
    : service.trackingUrl.replace("{trackingCode}", encodeURIComponent(trackingCode))
}
