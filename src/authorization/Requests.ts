import { Effect, Option } from "effect"
import { BotError } from "../domain/BotError.js"
import type { BotInput } from "../domain/BotInput.js"
import type { ChannelType, MessengerIdentity } from "../domain/Identity.js"
import { readAccountId, readChannelType, readIdentity } from "../domain/Identity.js"
import type { NormalizedPhone } from "../domain/Phone.js"
import { normalizePhone } from "../domain/Phone.js"
import type { DeliveryRoute } from "../otp/OtpSession.js"
import { deliveryRoutes } from "../otp/OtpSession.js"

// Readers of the bot's fields, in the validation order every endpoint follows: channel, account id, then
// the endpoint's own fields; the first failure wins.

export const readPhone = (input: BotInput): Effect.Effect<NormalizedPhone, BotError> =>
  Effect.flatMap(input.text("phone"), (raw) => {
    const phone = Option.flatMapNullable(raw, normalizePhone)
    return Option.isSome(phone) ? Effect.succeed(phone.value) : Effect.fail(new BotError({ code: "invalid_phone" }))
  })

const defaultRoute = (channelType: ChannelType): DeliveryRoute => {
  if (channelType === "telegram") return "telegram"
  if (channelType === "vk") return "vk"
  return "sms"
}

/** `deliveryRoute` when given (an unknown value is `invalid_request`), else the channel's default route. */
export const readRoute = (input: BotInput, channelType: ChannelType): Effect.Effect<DeliveryRoute, BotError> =>
  Effect.flatMap(readOptionalRoute(input), (route) =>
    Effect.succeed(Option.getOrElse(route, () => defaultRoute(channelType)))
  )

export const readOptionalRoute = (input: BotInput): Effect.Effect<Option.Option<DeliveryRoute>, BotError> =>
  Effect.flatMap(input.text("deliveryRoute"), (raw) => {
    if (Option.isNone(raw)) return Effect.succeed(Option.none())
    const route = deliveryRoutes.find((candidate) => candidate === raw.value.toLowerCase())
    return route === undefined
      ? Effect.fail(new BotError({ code: "invalid_request" }))
      : Effect.succeed(Option.some(route))
  })

export interface StatusRequest {
  readonly identity: MessengerIdentity
  readonly customerId: Option.Option<string>
}

export const readStatusRequest = (input: BotInput): Effect.Effect<StatusRequest, BotError> =>
  Effect.gen(function* () {
    const identity = yield* readIdentity(input)
    const customerId = yield* input.text("customerId")
    return { identity, customerId }
  })

export interface StartRequest {
  readonly identity: MessengerIdentity
  readonly phone: NormalizedPhone
  readonly route: DeliveryRoute
}

export const readStartRequest = (input: BotInput): Effect.Effect<StartRequest, BotError> =>
  Effect.gen(function* () {
    const identity = yield* readIdentity(input)
    const phone = yield* readPhone(input)
    const route = yield* readRoute(input, identity.channelType)
    return { identity, phone, route }
  })

export interface CheckRequest {
  readonly identity: MessengerIdentity
  readonly sessionId: string
  readonly code: string
}

export const readCheckRequest = (input: BotInput): Effect.Effect<CheckRequest, BotError> =>
  Effect.gen(function* () {
    const identity = yield* readIdentity(input)
    const sessionId = yield* input.requiredText("sessionId")
    const code = yield* input.requiredText("code")
    return { identity, sessionId, code }
  })

export interface ResendRequest {
  readonly channelType: ChannelType
  readonly accountId: Option.Option<string>
  readonly sessionId: string
  readonly route: Option.Option<DeliveryRoute>
}

/** A resend needs the channel; the account id is optional, but must match the session when given. */
export const readResendRequest = (input: BotInput): Effect.Effect<ResendRequest, BotError> =>
  Effect.gen(function* () {
    const channelType = yield* readChannelType(input)
    const accountId = yield* readAccountId(input)
    const sessionId = yield* input.requiredText("sessionId")
    const route = yield* readOptionalRoute(input)
    return { channelType, accountId, sessionId, route }
  })
