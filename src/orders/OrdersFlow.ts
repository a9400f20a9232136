import { randomInt } from "node:crypto"
import { Clock, Effect, Option } from "effect"
import { AppConfig } from "../Config.js"
import { Bindings, crmUnavailable } from "../customers/Bindings.js"
import { BotError } from "../domain/BotError.js"
import { validEmail } from "../domain/Email.js"
import { OwnerLocks } from "../otp/OwnerLocks.js"
import type { Order } from "../retailcrm/model.js"
import type { OrderStatus } from "../retailcrm/ReferenceData.js"
import { ReferenceData } from "../retailcrm/ReferenceData.js"
import { RetailCrm } from "../retailcrm/RetailCrm.js"
import { createOrderOnce } from "./OrderCreation.js"
import { OrderLedger } from "./OrderLedger.js"
import type { StatusGroup } from "./OrderView.js"
import { deliveryOf, itemName, renderOrder, renderOrderList } from "./OrderView.js"
import type { ListOrdersRequest, RepeatOrderRequest } from "./Requests.js"
import { emptyListText, orderCreatedText, orderHandOffText, unnamedItem } from "./texts.js"

const minLimit = 1
const maxLimit = 5

const lowerSet = (values: ReadonlyArray<string>) => new Set(values.map((value) => value.trim().toLowerCase()))

/** Compares RetailCRM ids, which are integers sent as strings, numerically. */
const compareIds = (a: string, b: string) => (a.length === b.length ? a.localeCompare(b) : a.length - b.length)

/** Newest first by `createdAt`, then by id; RetailCRM does not document the order of its lists. */
const newestFirst = (a: Order, b: Order) => {
  const byTime = (b.createdAt ?? "").localeCompare(a.createdAt ?? "")
  return byTime !== 0 ? byTime : compareIds(b.id, a.id)
}

const customerIdOf = (order: Order): string | undefined => order.customer?.id ?? undefined

/** Fills the template's `{sourceOrderNumber}`, `{sourceOrderId}` and `{channelType}`. */
const fillTemplate = (template: string, values: Readonly<Record<string, string>>) =>
  template.replace(
    /\{(sourceOrderNumber|sourceOrderId|channelType)\}/g,
    (placeholder, name: string) => values[name] ?? placeholder
  )

interface RepeatLine {
  /** `{id}` (a number, as RetailCRM's ids are), `{externalId}` or `{xmlId}`. */
  readonly offer: Readonly<Record<string, string | number>>
  quantity: number
  readonly name: string
}

/** Orders of the bound customer: the recent-orders list and the repeat of one of them. */
export class OrdersFlow extends Effect.Service<OrdersFlow>()("retailcrm-bot-auth/OrdersFlow", {
  effect: Effect.gen(function* () {
    const { orders: settings, retailCrm: crmSettings } = yield* AppConfig
    const crm = yield* RetailCrm
    const bindings = yield* Bindings
    const reference = yield* ReferenceData
    const ledger = yield* OrderLedger
    const locks = yield* OwnerLocks

    const excludedCodes = new Set(settings.excludedStatusCodes)
    const excludedNames = lowerSet(settings.excludedStatusNames)
    const excludedGroups = new Set(settings.excludedGroupCodes)
    const completeCodes = new Set(settings.completeGroupCodes)
    const completeNames = lowerSet(settings.completeGroupNames)
    const deliveryCodes = new Set(settings.deliveryGroupCodes)
    const deliveryNames = lowerSet(settings.deliveryGroupNames)

    const isExcluded = (order: Order, status: OrderStatus | undefined) =>
      (order.status !== null && order.status !== undefined && excludedCodes.has(order.status)) ||
      (status?.name !== null && status?.name !== undefined && excludedNames.has(status.name.toLowerCase())) ||
      (status?.groupCode !== null && status?.groupCode !== undefined && excludedGroups.has(status.groupCode))

    const statusGroupOf = (status: OrderStatus | undefined): StatusGroup => {
      const code = status?.groupCode ?? ""
      const name = (status?.groupName ?? "").toLowerCase()
      if (completeCodes.has(code) || completeNames.has(name)) return "complete"
      if (deliveryCodes.has(code) || deliveryNames.has(name)) return "delivery"
      return "assembling"
    }

    const list = (request: ListOrdersRequest) =>
      Effect.gen(function* () {
        const bound = yield* bindings.resolveBound(request.identity, request.customerId)
        if (Option.isNone(bound)) return { status: "not_authorized" as const }
        const customerId = bound.value.id
        const limit = Math.min(
          maxLimit,
          Math.max(
            minLimit,
            Option.getOrElse(request.limit, () => settings.defaultLimit)
          )
        )

        const [orders, statuses] = yield* Effect.all(
          [crm.listCustomerOrders(customerId, settings.maxLookback), reference.orderStatuses],
          { concurrency: 2 }
        ).pipe(Effect.mapError(crmUnavailable))
        const visibleOrders = orders
          .filter((order) => customerIdOf(order) === customerId)
          .toSorted(newestFirst)
          .filter((order) => !isExcluded(order, statuses.get(order.status ?? "")))
          .slice(0, limit)
          .map((order) => renderOrder(order, statusGroupOf(statuses.get(order.status ?? "")), crmSettings.timeZone))

        if (visibleOrders.length === 0) return { status: "empty" as const, customerId, text: emptyListText }
        return {
          status: "ok" as const,
          customerId,
          shownCount: visibleOrders.length,
          orders: visibleOrders,
          text: renderOrderList(visibleOrders)
        }
      })

    /** Loads the source order and checks that it is the customer's; anything else is `order_not_found`. */
    const loadOwnOrder = (source: RepeatOrderRequest["source"], customerId: string) =>
      Effect.gen(function* () {
        const notFound = new BotError({ code: "order_not_found", fields: { customerId } })
        const found: Option.Option<Order> =
          source._tag === "ById"
            ? /^\d{1,18}$/.test(source.id)
              ? yield* crm.getOrder(source.id).pipe(
                  Effect.map(Option.some),
                  Effect.catchTag("CrmNotFound", () => Effect.succeed(Option.none())),
                  Effect.mapError(crmUnavailable)
                )
              : Option.none()
            : yield* crm.findOrdersByNumber(source.number).pipe(
                Effect.map((orders) => Option.fromNullable(orders.find((order) => customerIdOf(order) === customerId))),
                Effect.mapError(crmUnavailable)
              )
        if (Option.isNone(found)) return yield* notFound
        if (customerIdOf(found.value) !== customerId) {
          yield* Effect.logWarning("Repeat refused: the source order belongs to another customer").pipe(
            Effect.annotateLogs({ customerId, sourceOrderId: found.value.id })
          )
          return yield* notFound
        }
        return found.value
      })

    /** Items as offer references with quantities, lines of the same offer merged; a line without an offer fails. */
    const repeatLines = (order: Order) =>
      Effect.gen(function* () {
        const lines = new Map<string, RepeatLine>()
        for (const item of order.items ?? []) {
          const offer = item.offer ?? undefined
          const reference: Record<string, string | number> | undefined = offer?.id
            ? { id: Number(offer.id) }
            : offer?.externalId
              ? { externalId: offer.externalId }
              : offer?.xmlId
                ? { xmlId: offer.xmlId }
                : undefined
          const name = itemName(item) ?? unnamedItem
          if (reference === undefined) {
            return yield* new BotError({ code: "item_unavailable", fields: { unavailableItemName: name } })
          }
          const key = JSON.stringify(reference)
          const existing = lines.get(key)
          if (existing === undefined) lines.set(key, { offer: reference, quantity: item.quantity ?? 1, name })
          else existing.quantity += item.quantity ?? 1
        }
        return [...lines.values()]
      })

    const newOrderNumber = () =>
      `${settings.repeatNumberPrefix}${randomInt(0, 100_000_000).toString().padStart(8, "0")}${settings.repeatNumberSuffix}`

    const repeat = (request: RepeatOrderRequest) =>
      Effect.gen(function* () {
        const bound = yield* bindings.resolveBound(request.identity, request.customerId)
        if (Option.isNone(bound)) return { status: "not_authorized" as const }
        const customerId = bound.value.id
        const source = yield* loadOwnOrder(request.source, customerId)
        const sourceFields = { customerId, sourceOrderId: source.id, sourceOrderNumber: source.number ?? null }

        return yield* locks.withLock(`repeat|${customerId}|${source.id}`)(
          Effect.gen(function* () {
            const now = yield* Clock.currentTimeMillis
            const earlier = yield* ledger.findSince(
              "repeat",
              customerId,
              source.id,
              now - settings.repeatDedupSeconds * 1000
            )
            if (Option.isSome(earlier)) {
              yield* Effect.logInfo("Repeat within the dedup window; returning the earlier order").pipe(
                Effect.annotateLogs({ customerId, sourceOrderId: source.id, orderId: earlier.value.orderId })
              )
              return created(sourceFields, earlier.value.orderId, earlier.value.orderNumber)
            }

            const lines = yield* repeatLines(source).pipe(
              Effect.mapError((error) => new BotError({ ...error, fields: { ...sourceFields, ...error.fields } }))
            )
            const delivery = deliveryOf(source)
            const email = validEmail(source.email)
            const payload = (number: string | undefined) => ({
              ...(number === undefined ? {} : { number }),
              status: "new",
              customer: { id: Number(customerId) },
              ...Option.match(settings.orderType, { onNone: () => ({}), onSome: (orderType) => ({ orderType }) }),
              ...Option.match(settings.orderMethod, { onNone: () => ({}), onSome: (orderMethod) => ({ orderMethod }) }),
              ...(source.firstName ? { firstName: source.firstName } : {}),
              ...(source.lastName ? { lastName: source.lastName } : {}),
              ...(source.phone ? { phone: source.phone } : {}),
              ...(email === undefined ? {} : { email }),
              ...(delivery.address && Object.keys(delivery.address).length > 0
                ? { delivery: { address: delivery.address } }
                : {}),
              items: lines.map((line) => ({ offer: line.offer, quantity: line.quantity })),
              customerComment: fillTemplate(settings.repeatCommentTemplate, {
                sourceOrderNumber: source.number ?? source.id,
                sourceOrderId: source.id,
                channelType: request.identity.channelType
              })
            })

            const result = yield* createOrderOnce({
              payload,
              site: Option.fromNullable(source.site),
              newNumber: newOrderNumber,
              findCreated: (number) =>
                number === undefined
                  ? Effect.succeed(Option.none())
                  : crm
                      .findOrdersByNumber(number, Option.fromNullable(source.site))
                      .pipe(
                        Effect.map((orders) =>
                          Option.fromNullable(orders.find((order) => customerIdOf(order) === customerId)).pipe(
                            Option.map((order) => ({ orderId: order.id, orderNumber: order.number ?? number }))
                          )
                        )
                      )
            }).pipe(
              Effect.catchTags({
                ItemRejected: (rejected) =>
                  Effect.fail(
                    new BotError({
                      code: "item_unavailable",
                      fields: {
                        ...sourceFields,
                        unavailableItemName:
                          lines[rejected.index ?? firstUnresolved(lines, rejected.messages)]?.name ?? null
                      }
                    })
                  ),
                OrderNotCreated: (failure) =>
                  Effect.logError("Repeat order not created").pipe(
                    Effect.annotateLogs({ customerId, sourceOrderId: source.id, reason: failure.reason }),
                    Effect.zipRight(
                      Effect.fail(
                        new BotError({ code: "order_create_failed", text: orderHandOffText, fields: sourceFields })
                      )
                    )
                  )
              })
            )

            yield* ledger.record("repeat", customerId, source.id, {
              ...result,
              createdAt: yield* Clock.currentTimeMillis
            })
            yield* Effect.logInfo("Order repeated").pipe(
              Effect.annotateLogs({
                customerId,
                sourceOrderId: source.id,
                orderId: result.orderId,
                orderNumber: result.orderNumber
              })
            )
            return created(sourceFields, result.orderId, result.orderNumber)
          })
        )
      })

    return { list, repeat } as const
  })
}) {}

const created = (
  sourceFields: {
    readonly customerId: string
    readonly sourceOrderId: string
    readonly sourceOrderNumber: string | null
  },
  orderId: string,
  orderNumber: string
) => ({
  status: "created" as const,
  ...sourceFields,
  newOrderId: orderId,
  newOrderNumber: orderNumber,
  text: orderCreatedText(orderNumber)
})

/** Without an index in the error key, the first line whose offer reference the error text mentions, else the first. */
const firstUnresolved = (lines: ReadonlyArray<RepeatLine>, messages: ReadonlyArray<string>) => {
  const index = lines.findIndex((line) =>
    Object.values(line.offer).some((value) => messages.some((message) => message.includes(String(value))))
  )
  return index === -1 ? 0 : index
}
