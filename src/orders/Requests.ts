import { Effect, Option } from "effect"
import { BotError } from "../domain/BotError.js"
import type { BotInput } from "../domain/BotInput.js"
import type { MessengerIdentity } from "../domain/Identity.js"
import { readIdentity } from "../domain/Identity.js"

export interface ListOrdersRequest {
  readonly identity: MessengerIdentity
  readonly customerId: Option.Option<string>
  /** `None` when `limit` is absent or not an integer: the default applies. */
  readonly limit: Option.Option<number>
}

export const readListOrdersRequest = (input: BotInput): Effect.Effect<ListOrdersRequest, BotError> =>
  Effect.gen(function* () {
    const identity = yield* readIdentity(input)
    const customerId = yield* input.text("customerId")
    const limit = Option.filter(yield* input.text("limit"), (raw) => /^[+-]?\d+$/.test(raw)).pipe(Option.map(Number))
    return { identity, customerId, limit }
  })

export interface RepeatOrderRequest {
  readonly identity: MessengerIdentity
  readonly customerId: Option.Option<string>
  readonly source:
    | { readonly _tag: "ById"; readonly id: string }
    | { readonly _tag: "ByNumber"; readonly number: string }
}

export const readRepeatOrderRequest = (input: BotInput): Effect.Effect<RepeatOrderRequest, BotError> =>
  Effect.gen(function* () {
    const identity = yield* readIdentity(input)
    const customerId = yield* input.text("customerId")
    const sourceOrderId = yield* input.text("sourceOrderId")
    const sourceOrderNumber = yield* input.text("sourceOrderNumber")
    if (Option.isSome(sourceOrderId)) return { identity, customerId, source: { _tag: "ById", id: sourceOrderId.value } }
    if (Option.isSome(sourceOrderNumber)) {
      return { identity, customerId, source: { _tag: "ByNumber", number: sourceOrderNumber.value } }
    }
    return yield* new BotError({ code: "invalid_request" })
  })
