import { Effect, Option } from "effect"
import { readPhone, readRoute } from "../authorization/Requests.js"
import { BotError } from "../domain/BotError.js"
import type { BotInput } from "../domain/BotInput.js"
import { validEmail } from "../domain/Email.js"
import type { MessengerIdentity } from "../domain/Identity.js"
import { readAccountId, readIdentity } from "../domain/Identity.js"
import type { NormalizedPhone } from "../domain/Phone.js"
import type { DeliveryRoute } from "../otp/OtpSession.js"

/** Recipient data the shopper typed; absent fields default to the customer's own. */
export interface Recipient {
  readonly firstName?: string | undefined
  readonly lastName?: string | undefined
  /** Only a valid email; an invalid one is treated as absent. */
  readonly email?: string | undefined
}

/** The identity when the request has any identity field, else `None`; a partial identity is an error. */
const readOptionalIdentity = (input: BotInput): Effect.Effect<Option.Option<MessengerIdentity>, BotError> =>
  Effect.gen(function* () {
    const channelType = yield* input.text("channelType")
    const accountId = yield* readAccountId(input)
    if (Option.isNone(channelType) && Option.isNone(accountId)) return Option.none()
    return Option.some(yield* readIdentity(input))
  })

const readOfferCode = (input: BotInput) =>
  Effect.flatMap(input.text("offerCode"), (code) =>
    Option.isSome(code) ? Effect.succeed(code.value) : Effect.fail(new BotError({ code: "unknown_offer" }))
  )

const readRecipient = (input: BotInput): Effect.Effect<Recipient, BotError> =>
  Effect.gen(function* () {
    const firstName = Option.getOrUndefined(yield* input.text("firstName"))
    const lastName = Option.getOrUndefined(yield* input.text("lastName"))
    const email = validEmail(Option.getOrUndefined(yield* input.text("email")))
    return { firstName, lastName, email }
  })

export interface PreviewRequest {
  readonly identity: Option.Option<MessengerIdentity>
  readonly customerId: Option.Option<string>
  readonly offerCode: string
}

export const readPreviewRequest = (input: BotInput): Effect.Effect<PreviewRequest, BotError> =>
  Effect.gen(function* () {
    const identity = yield* readOptionalIdentity(input)
    const customerId = yield* input.text("customerId")
    const offerCode = yield* readOfferCode(input)
    return { identity, customerId, offerCode }
  })

export interface CreateRequest {
  readonly identity: MessengerIdentity
  readonly customerId: Option.Option<string>
  readonly offerCode: string
  readonly recipient: Recipient
  /** A phone given in the request; without one the customer's own is used. */
  readonly phone: Option.Option<NormalizedPhone>
}

export const readCreateRequest = (input: BotInput): Effect.Effect<CreateRequest, BotError> =>
  Effect.gen(function* () {
    const identity = yield* readIdentity(input)
    const customerId = yield* input.text("customerId")
    const offerCode = yield* readOfferCode(input)
    const phone = Option.isSome(yield* input.text("phone")) ? Option.some(yield* readPhone(input)) : Option.none()
    const recipient = yield* readRecipient(input)
    return { identity, customerId, offerCode, recipient, phone }
  })

export interface StartRequest {
  readonly identity: MessengerIdentity
  readonly offerCode: string
  readonly phone: NormalizedPhone
  readonly route: DeliveryRoute
  readonly recipient: Recipient
}

export const readStartRequest = (input: BotInput): Effect.Effect<StartRequest, BotError> =>
  Effect.gen(function* () {
    const identity = yield* readIdentity(input)
    const offerCode = yield* readOfferCode(input)
    const phone = yield* readPhone(input)
    const route = yield* readRoute(input, identity.channelType)
    const recipient = yield* readRecipient(input)
    return { identity, offerCode, phone, route, recipient }
  })
