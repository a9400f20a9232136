import { Effect, Option } from "effect"
import { BotError } from "./BotError.js"
import type { BotInput } from "./BotInput.js"

export const channelTypes = ["telegram", "vk", "whatsapp", "max", "instagram"] as const

export type ChannelType = (typeof channelTypes)[number]

/**
 * A messenger account as BotMarketing passes it on. The account id is an opaque string: Instagram ids
 * exceed 2^53, WhatsApp ids may look like phones or end in `@lid`, so it is never parsed.
 */
export interface MessengerIdentity {
  readonly channelType: ChannelType
  readonly accountId: string
  /** Auxiliary chat id: logged and stored with sessions, never a binding key. */
  readonly chatExternalId: string | undefined
}

/** Fields that may carry the account id, first present wins. */
export const accountIdFields = [
  "messengerUserId",
  "customerExternalId",
  "messengerAccountId",
  "messengerAccountIdFallback"
] as const

const maxAccountIdLength = 128

// Unicode category Cc: C0 and C1 control characters and DEL.
const controlCharacter = /\p{Cc}/u

export const readChannelType = (input: BotInput): Effect.Effect<ChannelType, BotError> =>
  Effect.gen(function* () {
    const raw = yield* input.text("channelType")
    if (Option.isNone(raw)) return yield* new BotError({ code: "missing_identity" })
    const channelType = raw.value.toLowerCase()
    return yield* isChannelType(channelType)
      ? Effect.succeed(channelType)
      : new BotError({ code: "unsupported_channel" })
  })

const isChannelType = (value: string): value is ChannelType => (channelTypes as ReadonlyArray<string>).includes(value)

/**
 * Reads the account id from the first present id field, or `None` when none is present. When
 * `messengerUserId` and `customerExternalId` disagree, the first wins and the disagreement is logged.
 */
export const readAccountId = (input: BotInput): Effect.Effect<Option.Option<string>, BotError> =>
  Effect.gen(function* () {
    const candidates: Array<string> = []
    for (const field of accountIdFields) {
      const value = yield* input.text(field)
      if (Option.isSome(value)) candidates.push(value.value)
    }
    const messengerUserId = yield* input.text("messengerUserId")
    const customerExternalId = yield* input.text("customerExternalId")
    if (
      Option.isSome(messengerUserId) &&
      Option.isSome(customerExternalId) &&
      messengerUserId.value !== customerExternalId.value
    ) {
      yield* Effect.logWarning("messengerUserId and customerExternalId differ; using messengerUserId").pipe(
        Effect.annotateLogs({ messengerUserId: messengerUserId.value, customerExternalId: customerExternalId.value })
      )
    }
    const accountId = candidates[0]
    if (accountId === undefined) return Option.none()
    if (accountId.length > maxAccountIdLength || controlCharacter.test(accountId)) {
      return yield* new BotError({ code: "invalid_identity" })
    }
    return Option.some(accountId)
  })

/** Reads the channel, then the account id, which must be present, then the optional chat id. */
export const readIdentity = (input: BotInput): Effect.Effect<MessengerIdentity, BotError> =>
  Effect.gen(function* () {
    const channelType = yield* readChannelType(input)
    const accountId = yield* readAccountId(input)
    if (Option.isNone(accountId)) return yield* new BotError({ code: "missing_identity" })
    const chatExternalId = yield* input.text("chatExternalId")
    return { channelType, accountId: accountId.value, chatExternalId: Option.getOrUndefined(chatExternalId) }
  })
