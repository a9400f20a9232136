import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger, Option } from "effect"
import { BotInput } from "../../src/domain/BotInput.js"
import { readAccountId, readIdentity } from "../../src/domain/Identity.js"

const input = (fields: Record<string, string | undefined>) => BotInput.fromRaw(Object.entries(fields))

/** The error code a failing effect ends with. */
const errorCodeOf = <A>(effect: Effect.Effect<A, { readonly code: string }>) =>
  Effect.map(Effect.flip(effect), (error) => error.code)

/** Runs `effect` with a logger that collects each message with its level and annotations. */
const withCapturedLogs = <A, E>(effect: Effect.Effect<A, E>) => {
  const lines: Array<{ level: string; message: unknown; annotations: Record<string, unknown> }> = []
  const logger = Logger.make(({ annotations, logLevel, message }) => {
    lines.push({ level: logLevel.label, message, annotations: Object.fromEntries(annotations) })
  })
  return Effect.map(Effect.provide(effect, Logger.replace(Logger.defaultLogger, logger)), (value) => ({
    value,
    lines
  }))
}

describe("BotInput", () => {
  const placeholders = ["{{customer.external_id}}", "{customer.external_id}", "#{customer.external_id}", "", "   "]

  for (const placeholder of placeholders) {
    it.effect(`treats "${placeholder}" as absent`, () =>
      Effect.gen(function* () {
        const value = yield* input({ phone: placeholder }).text("phone")

        expect(Option.isNone(value)).toBe(true)
      })
    )
  }

  it.effect("trims values", () =>
    Effect.gen(function* () {
      const value = yield* input({ phone: "  +79000000001\t" }).text("phone")

      expect(value).toEqual(Option.some("+79000000001"))
    })
  )

  it.effect("keeps text around braces", () =>
    Effect.gen(function* () {
      const value = yield* input({ code: "x{y}" }).text("code")

      expect(value).toEqual(Option.some("x{y}"))
    })
  )

  it.effect("rejects a non-scalar field", () =>
    Effect.gen(function* () {
      const code = yield* errorCodeOf(input({ phone: undefined }).text("phone"))

      expect(code).toBe("invalid_request")
    })
  )

  it.effect("ignores an unread non-scalar", () =>
    Effect.gen(function* () {
      const value = yield* input({ extra: undefined, phone: "+79000000001" }).text("phone")

      expect(value).toEqual(Option.some("+79000000001"))
    })
  )

  it.effect("requires a required field", () =>
    Effect.gen(function* () {
      const code = yield* errorCodeOf(input({ sessionId: "{{sessionId}}" }).requiredText("sessionId"))

      expect(code).toBe("invalid_request")
    })
  )

  it.effect("keeps the first duplicate", () =>
    Effect.gen(function* () {
      const fields = BotInput.fromRaw([
        ["phone", "first"],
        ["phone", "second"]
      ])

      expect(yield* fields.text("phone")).toEqual(Option.some("first"))
    })
  )

  it.effect("lets the body win", () =>
    Effect.gen(function* () {
      const merged = input({ phone: "body" }).withFallback(input({ phone: "query", code: "123456" }))

      expect(yield* merged.text("phone")).toEqual(Option.some("body"))
      expect(yield* merged.text("code")).toEqual(Option.some("123456"))
    })
  )

  it.effect("falls back past an absent body field", () =>
    Effect.gen(function* () {
      const merged = input({ phone: "{{phone}}" }).withFallback(input({ phone: "query" }))

      expect(yield* merged.text("phone")).toEqual(Option.some("query"))
    })
  )

  it.effect("lets a body non-scalar win", () =>
    Effect.gen(function* () {
      const merged = input({ phone: undefined }).withFallback(input({ phone: "query" }))

      expect(yield* errorCodeOf(merged.text("phone"))).toBe("invalid_request")
    })
  )

  it.effect("lets a body scalar replace a non-scalar", () =>
    Effect.gen(function* () {
      const merged = input({ phone: "body" }).withFallback(input({ phone: undefined }))

      expect(yield* merged.text("phone")).toEqual(Option.some("body"))
    })
  )
})

describe("readIdentity", () => {
  const allIds = {
    messengerUserId: "id-user",
    customerExternalId: "id-external",
    messengerAccountId: "id-account",
    messengerAccountIdFallback: "id-fallback"
  }

  const precedence: ReadonlyArray<[string, Record<string, string>, string]> = [
    ["messengerUserId first", allIds, "id-user"],
    ["customerExternalId second", { ...allIds, messengerUserId: "" }, "id-external"],
    ["messengerAccountId third", { messengerAccountId: "id-account", messengerAccountIdFallback: "x" }, "id-account"],
    ["fallback last", { messengerAccountIdFallback: "id-fallback" }, "id-fallback"]
  ]

  for (const [name, ids, expected] of precedence) {
    it.effect(`picks ${name}`, () =>
      Effect.gen(function* () {
        const identity = yield* readIdentity(input({ channelType: "telegram", ...ids }))

        expect(identity.accountId).toBe(expected)
      })
    )
  }

  it.effect("lowercases the channel", () =>
    Effect.gen(function* () {
      const identity = yield* readIdentity(input({ channelType: "WhatsApp", messengerUserId: "1" }))

      expect(identity.channelType).toBe("whatsapp")
    })
  )

  it.effect("accepts every channel", () =>
    Effect.gen(function* () {
      for (const channelType of ["telegram", "vk", "whatsapp", "max", "instagram"]) {
        const identity = yield* readIdentity(input({ channelType, messengerUserId: "1" }))
        expect(identity.channelType).toBe(channelType)
      }
    })
  )

  it.effect("rejects an unknown channel", () =>
    Effect.gen(function* () {
      const code = yield* errorCodeOf(readIdentity(input({ channelType: "icq", messengerUserId: "1" })))

      expect(code).toBe("unsupported_channel")
    })
  )

  it.effect("requires a channel", () =>
    Effect.gen(function* () {
      const code = yield* errorCodeOf(readIdentity(input({ messengerUserId: "1" })))

      expect(code).toBe("missing_identity")
    })
  )

  it.effect("checks the channel first", () =>
    Effect.gen(function* () {
      const code = yield* errorCodeOf(readIdentity(input({ channelType: "icq", messengerUserId: "x".repeat(200) })))

      expect(code).toBe("unsupported_channel")
    })
  )

  it.effect("requires an account id", () =>
    Effect.gen(function* () {
      const code = yield* errorCodeOf(readIdentity(input({ channelType: "vk", messengerUserId: "{{id}}" })))

      expect(code).toBe("missing_identity")
    })
  )

  it.effect("accepts 128 characters", () =>
    Effect.gen(function* () {
      const identity = yield* readIdentity(input({ channelType: "vk", messengerUserId: "a".repeat(128) }))

      expect(identity.accountId).toHaveLength(128)
    })
  )

  it.effect("rejects 129 characters", () =>
    Effect.gen(function* () {
      const code = yield* errorCodeOf(readIdentity(input({ channelType: "vk", messengerUserId: "a".repeat(129) })))

      expect(code).toBe("invalid_identity")
    })
  )

  for (const [name, character] of [
    ["NUL", "\u0000"],
    ["line feed", "\n"],
    ["tab", "\t"],
    ["DEL", "\u007f"],
    ["C1 control", "\u0085"]
  ] as const) {
    it.effect(`rejects an inner ${name}`, () =>
      Effect.gen(function* () {
        const code = yield* errorCodeOf(readIdentity(input({ channelType: "vk", messengerUserId: `a${character}b` })))

        expect(code).toBe("invalid_identity")
      })
    )
  }

  it.effect("keeps an @lid id", () =>
    Effect.gen(function* () {
      const identity = yield* readIdentity(input({ channelType: "whatsapp", messengerUserId: "79000000001@lid" }))

      expect(identity.accountId).toBe("79000000001@lid")
    })
  )

  it.effect("keeps a phone-like id as is", () =>
    Effect.gen(function* () {
      const identity = yield* readIdentity(input({ channelType: "whatsapp", messengerUserId: "89000000001" }))

      expect(identity.accountId).toBe("89000000001")
    })
  )

  it.effect("keeps digits above 2^53", () =>
    Effect.gen(function* () {
      const identity = yield* readIdentity(input({ channelType: "instagram", messengerUserId: "17841400000000000001" }))

      expect(identity.accountId).toBe("17841400000000000001")
    })
  )

  it.effect("keeps leading zeros", () =>
    Effect.gen(function* () {
      const identity = yield* readIdentity(input({ channelType: "max", messengerUserId: "007" }))

      expect(identity.accountId).toBe("007")
    })
  )

  it.effect("reads the chat id", () =>
    Effect.gen(function* () {
      const withChat = yield* readIdentity(input({ channelType: "vk", messengerUserId: "1", chatExternalId: "c-1" }))
      const withoutChat = yield* readIdentity(input({ channelType: "vk", messengerUserId: "1" }))

      expect(withChat.chatExternalId).toBe("c-1")
      expect(withoutChat.chatExternalId).toBeUndefined()
    })
  )

  it.effect("rejects a non-scalar id", () =>
    Effect.gen(function* () {
      const code = yield* errorCodeOf(readIdentity(input({ channelType: "vk", messengerAccountId: undefined })))

      expect(code).toBe("invalid_request")
    })
  )

  it.effect("logs two differing ids", () =>
    Effect.gen(function* () {
      const { lines, value } = yield* withCapturedLogs(
        readAccountId(input({ messengerUserId: "id-a", customerExternalId: "id-b" }))
      )

      expect(value).toEqual(Option.some("id-a"))
      expect(lines).toHaveLength(1)
      expect(lines[0]?.level).toBe("WARN")
      expect(lines[0]?.annotations).toMatchObject({ messengerUserId: "id-a", customerExternalId: "id-b" })
    })
  )

  it.effect("logs nothing for equal ids", () =>
    Effect.gen(function* () {
      const { lines } = yield* withCapturedLogs(
        readAccountId(input({ messengerUserId: "id-a", customerExternalId: "id-a" }))
      )

      expect(lines).toHaveLength(0)
    })
  )
})
