import { formatRussianDate, isoUtc, parseCrmDateTime } from "../domain/Time.js"
import type { Order, OrderItem } from "../retailcrm/model.js"
import type { DeliveryFields } from "./delivery.js"
import { deliveryServiceName, readDeliveryCode, readTrackingCode, trackingUrl } from "./delivery.js"
import {
  detailIntro,
  detailQuestion,
  listHeader,
  listStatusLines,
  repeatQuestion,
  statusLabels,
  trackingIntro,
  unnamedItem
} from "./texts.js"

export type StatusGroup = "assembling" | "delivery" | "complete"

/** One order of the `/orders` reply, with the ready texts the bot shows. */
export interface OrderView {
  readonly orderNumber: string
  readonly sourceOrderId: string
  readonly sourceOrderNumber: string | null
  readonly createdAt: string | null
  readonly createdAtText: string | null
  readonly itemsText: string
  readonly deliveryAddressText: string | null
  readonly statusGroup: StatusGroup
  readonly statusLabel: string
  readonly deliveryCode: string | null
  readonly trackingCode: string | null
  readonly trackingUrl: string | null
  readonly canTrackOnline: boolean
  readonly detailText: string
  readonly repeatConfirmText: string
  readonly trackingText: string | null
  /** Alias of `trackingCode`, kept for older bot flows. */
  readonly trackingNumber: string | null
  /** Alias of `statusLabel`, kept for older bot flows. */
  readonly deliveryStatus: string
}

const text = (value: unknown): string | null => (typeof value === "string" && value.trim() !== "" ? value.trim() : null)

/** The order's delivery; an absent one (RetailCRM may send `[]`, decoded as `{}`) reads as empty. */
export const deliveryOf = (
  order: Order
): DeliveryFields & { readonly address?: Readonly<Record<string, unknown>> | null | undefined } => order.delivery ?? {}

/** Returns the display name of an item's offer, else its name, else the line's `productName`. */
export const itemName = (item: OrderItem): string | null => {
  const offer = item.offer ?? undefined
  return text(offer?.displayName) ?? text(offer?.name) ?? text(item.productName)
}

const formatQuantity = (quantity: number | null | undefined) =>
  quantity === null || quantity === undefined ? "1" : String(Number(quantity.toFixed(3)))

export const itemsText = (order: Order): string =>
  (order.items ?? []).map((item) => `• ${itemName(item) ?? unnamedItem} x${formatQuantity(item.quantity)}`).join("\n")

/** `delivery.address.text`, else city and street joined by a comma. */
export const addressText = (order: Order): string | null => {
  const address = deliveryOf(order).address ?? {}
  return (
    text(address.text) ?? text([text(address.city), text(address.street)].filter((part) => part !== null).join(", "))
  )
}

/** Joins the blocks that have content with a blank line between them. */
const blocks = (...parts: ReadonlyArray<string | null>) =>
  parts.filter((part) => part !== null && part !== "").join("\n\n")

const lines = (...parts: ReadonlyArray<string | null>) => parts.filter((part) => part !== null).join("\n")

export const renderOrder = (order: Order, statusGroup: StatusGroup, timeZone: string): OrderView => {
  const delivery = deliveryOf(order)
  const orderNumber = text(order.number) ?? order.id
  const created =
    order.createdAt === null || order.createdAt === undefined ? undefined : parseCrmDateTime(order.createdAt, timeZone)
  const createdAtText = created === undefined ? null : formatRussianDate(created, timeZone)
  const items = itemsText(order)
  const address = addressText(order)
  const serviceName = deliveryServiceName(delivery)
  const trackingCode = readTrackingCode(delivery)
  const url = trackingUrl(delivery)
  const statusLabel = statusLabels[statusGroup]
  let deliveryLine: string | null = address
  if (address !== null && serviceName !== null) deliveryLine = `${serviceName}: ${address}`

  return {
    orderNumber,
    sourceOrderId: order.id,
    sourceOrderNumber: text(order.number),
    createdAt: created === undefined ? null : isoUtc(created),
    createdAtText,
    itemsText: items,
    deliveryAddressText: address,
    statusGroup,
    statusLabel,
    deliveryCode: readDeliveryCode(delivery),
    trackingCode,
    trackingUrl: url,
    canTrackOnline: url !== null,
    detailText: blocks(
      detailIntro,
      lines(orderNumber, createdAtText, statusLabel),
      items,
      deliveryLine,
      detailQuestion
    ),
    repeatConfirmText: blocks(
      `Заказ ${orderNumber}`,
      detailIntro,
      lines(orderNumber, createdAtText),
      items === "" ? null : `🗒️Состав:\n${items}`,
      address === null ? null : `🚙Доставка:\n${address}`,
      repeatQuestion
    ),
    trackingText: url === null ? null : `${trackingIntro}\n${url}`,
    trackingNumber: trackingCode,
    deliveryStatus: statusLabel
  }
}

/** The list reply's text: a header, then one block per order. */
export const renderOrderList = (views: ReadonlyArray<OrderView>): string =>
  blocks(
    listHeader,
    ...views.map((view) =>
      blocks(
        lines(
          `🗒️Номер заказа: ${view.orderNumber}`,
          view.createdAtText === null ? null : `📆Оформлен: ${view.createdAtText}`
        ),
        listStatusLines[view.statusGroup],
        view.itemsText,
        lines(
          view.deliveryAddressText === null ? null : `🚙${view.deliveryAddressText}`,
          view.trackingUrl === null ? null : `🔍Отследить заказ: ${view.trackingUrl}`
        )
      )
    )
  )
