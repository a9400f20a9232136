import { Clock, Data, Effect, Option } from "effect"
import type { CrmError, CrmRejected } from "../retailcrm/errors.js"
import { isNotProcessed } from "../retailcrm/errors.js"
import { RetailCrm } from "../retailcrm/RetailCrm.js"

/** RetailCRM refused an item of the order as missing or unavailable. */
export class ItemRejected extends Data.TaggedError("ItemRejected")<{
  /** Index of the rejected line in the payload's `items`, when RetailCRM's error key names one. */
  readonly index: number | undefined
  readonly messages: ReadonlyArray<string>
}> {}

/** The order could not be created, and no order exists. */
export class OrderNotCreated extends Data.TaggedError("OrderNotCreated")<{
  readonly reason: string
}> {}

export interface CreatedOrderRef {
  readonly orderId: string
  readonly orderNumber: string
}

export type Rejection =
  | { readonly _tag: "DuplicateNumber" }
  | { readonly _tag: "UnavailableItem"; readonly index: number | undefined; readonly messages: ReadonlyArray<string> }
  | { readonly _tag: "Other" }

const itemKey = /(?:^|[^a-z])(?:items?|offer)(?:[^a-z]|$)/i
const itemIndex = /items?(?:\[(\d+)\]|\.(\d+))/i
const numberWord = /(?:^|[^a-z])number(?:[^a-z]|$)/i

/**
 * Reads an order-create rejection. RetailCRM documents none of these texts, so this is the one place
 * that interprets them. An error key naming `items` or `offer` is an unavailable item, and the index in a
 * key like `items[1].offer` points to the line. A key or text naming `number` is a duplicate number.
 */
export const classifyRejection = (error: CrmRejected): Rejection => {
  const itemErrors = error.errors.filter((entry) => itemKey.test(entry.key))
  if (itemErrors.length > 0) {
    const match = itemErrors.map((entry) => itemIndex.exec(entry.key)).find((found) => found !== null)
    const index = match === undefined || match === null ? undefined : Number(match[1] ?? match[2])
    return { _tag: "UnavailableItem", index, messages: itemErrors.map((entry) => entry.message) }
  }
  const namesNumber =
    error.errors.some((entry) => numberWord.test(entry.key) || numberWord.test(entry.message)) ||
    numberWord.test(error.errorMsg)
  return namesNumber ? { _tag: "DuplicateNumber" } : { _tag: "Other" }
}

export interface CreateRequest {
  /** The order as RetailCRM takes it, for a given number (`undefined` lets RetailCRM number it). */
  readonly payload: (number: string | undefined) => Readonly<Record<string, unknown>>
  readonly site: Option.Option<string>
  /** Generates a new order number; without it the order is sent unnumbered and a duplicate number is not retried. */
  readonly newNumber?: (() => string) | undefined
  /** Finds an order an earlier attempt may have created although its reply was lost. */
  readonly findCreated: (
    number: string | undefined,
    startedAt: number
  ) => Effect.Effect<Option.Option<CreatedOrderRef>, CrmError>
}

// A duplicate number gets a freshly generated one, up to this many numbers in all.
const maxNumbers = 3

/**
 * Creates an order without ever creating two. A failure that certainly did nothing (throttled, connection
 * refused) gets one more try. After a failure that may have created the order (timeout, reset, another
 * 5xx) the order is first looked for with `findCreated`, and a hit counts as created. Only a miss gets the
 * one more try, with the same number, so that a late duplicate is recognised rather than created again.
 */
export const createOrderOnce = (request: CreateRequest) =>
  Effect.gen(function* () {
    const crm = yield* RetailCrm
    const startedAt = yield* Clock.currentTimeMillis
    let number = request.newNumber?.()
    let numbersUsed = 1
    let retried = false
    let outcomeUnknown = false

    for (;;) {
      const result = yield* crm.createOrder(request.payload(number), request.site).pipe(Effect.either)
      if (result._tag === "Right") {
        return { orderId: result.right.id, orderNumber: result.right.order?.number ?? number ?? result.right.id }
      }
      const error = result.left

      if (error._tag === "CrmRejected") {
        const rejection = classifyRejection(error)
        if (rejection._tag === "UnavailableItem") {
          return yield* new ItemRejected({ index: rejection.index, messages: rejection.messages })
        }
        if (rejection._tag === "DuplicateNumber" && request.newNumber !== undefined) {
          if (outcomeUnknown) {
            // The number may be taken by our own earlier attempt whose reply was lost.
            const earlier = yield* request
              .findCreated(number, startedAt)
              .pipe(Effect.orElseSucceed(() => Option.none()))
            if (Option.isSome(earlier)) return earlier.value
          }
          if (numbersUsed >= maxNumbers) return yield* new OrderNotCreated({ reason: "order numbers were taken" })
          yield* Effect.logInfo("Order number taken; trying a new one").pipe(
            Effect.annotateLogs({ orderNumber: number })
          )
          number = request.newNumber()
          numbersUsed++
          outcomeUnknown = false
          continue
        }
        return yield* new OrderNotCreated({ reason: `rejected: ${error.errorMsg}` })
      }

      if (!isNotProcessed(error)) {
        const found = yield* request.findCreated(number, startedAt).pipe(Effect.either)
        if (found._tag === "Left")
          return yield* new OrderNotCreated({ reason: "outcome unknown and the lookup failed" })
        if (Option.isSome(found.right)) {
          yield* Effect.logInfo("Order found after a failed create reply").pipe(
            Effect.annotateLogs({ orderId: found.right.value.orderId, error: error._tag })
          )
          return found.right.value
        }
        outcomeUnknown = true
      }
      if (retried) return yield* new OrderNotCreated({ reason: `failed twice: ${error._tag}` })
      retried = true
      yield* Effect.logInfo("Retrying the order create once").pipe(Effect.annotateLogs({ error: error._tag }))
    }
  })
