import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { encodings, post, replyFields, tempDatabase } from "../support/client.js"
import { Stack } from "../support/stack.js"

let stack: Stack

beforeAll(async () => {
  stack = await Stack.start({ sqlitePath: tempDatabase(), env: { DEDUPE_TIMEOUT_SECONDS: "0.5" } })
})

afterAll(() => stack.close())

const start = (fields: Record<string, string | number | undefined>, encoding: "json" | "form" = "form") =>
  post(stack.url, "/auth/start", fields, encoding)

describe("POST /auth/start", () => {
  for (const encoding of encodings) {
    it(`sends a code to a customer (${encoding})`, async () => {
      const phoneDigits = encoding === "json" ? "79000000011" : "79000000012"
      const customer = stack.crm.addCustomer({ phones: [{ number: `8${phoneDigits.slice(1)}` }] })
      const reply = await start(
        { phone: `+${phoneDigits}`, channelType: "telegram", messengerUserId: `acc-${encoding}-1` },
        encoding
      )

      expect(reply.httpStatus).toBe(200)
      expect(Object.keys(reply.body).sort()).toEqual([...replyFields.start].sort())
      expect(reply.body).toMatchObject({
        status: "sent",
        maskedPhone: `+7 900 ***-**-${phoneDigits.slice(-2)}`,
        retryAfterSec: 60,
        errorCode: null,
        message: null
      })
      expect(reply.body.sessionId).toMatch(/^[0-9a-f-]{36}$/)
      const sent = stack.greenSms.lastMessageTo(phoneDigits)
      expect(sent?.route).toBe("telegram")
      expect(sent?.txt).toMatch(/^\d{6}$/)
      expect(customer.id).toBeGreaterThan(0)
    })
  }

  it("sends the SMS text on the sms route", async () => {
    stack.crm.addCustomer({ phones: [{ number: "+79000000013" }] })
    const reply = await start({ phone: "9000000013", channelType: "whatsapp", messengerUserId: "79000000013@lid" })

    expect(reply.body.status).toBe("sent")
    const sent = stack.greenSms.lastMessageTo("79000000013")
    expect(sent?.route).toBe("sms")
    expect(sent?.txt).toMatch(/^Код подтверждения: \d{6}\. Никому его не сообщайте\.$/)
  })

  it("uses the VK route for the VK channel", async () => {
    stack.crm.addCustomer({ phones: [{ number: "+79000000014" }] })
    const reply = await start({ phone: "+79000000014", channelType: "VK", customerExternalId: "555" })

    expect(reply.body.status).toBe("sent")
    expect(stack.greenSms.lastMessageTo("79000000014")?.route).toBe("vk")
  })

  it("fakes a session for an unknown phone", async () => {
    const before = stack.greenSms.messages.length
    const reply = await start({ phone: "+79000000015", channelType: "telegram", messengerUserId: "acc-fake" })

    expect(Object.keys(reply.body).sort()).toEqual([...replyFields.start].sort())
    expect(reply.body).toMatchObject({
      status: "sent",
      maskedPhone: "+7 900 ***-**-15",
      retryAfterSec: 60,
      errorCode: null,
      message: null
    })
    expect(reply.body.sessionId).toMatch(/^[0-9a-f-]{36}$/)
    expect(stack.greenSms.messages.length).toBe(before)
  })

  it("fakes a session for a phone outside the allowed prefixes", async () => {
    stack.crm.addCustomer({ phones: [{ number: "+84900000016" }] })
    const before = stack.greenSms.messages.length
    const reply = await start({ phone: "+84 900 000 016", channelType: "telegram", messengerUserId: "acc-vn" })

    expect(reply.body).toMatchObject({ status: "sent", maskedPhone: "+849 ***-**-16" })
    expect(stack.greenSms.messages.length).toBe(before)
  })

  it("returns the earlier session on a double tap", async () => {
    stack.crm.addCustomer({ phones: [{ number: "+79000000017" }] })
    const fields = { phone: "+79000000017", channelType: "telegram", messengerUserId: "acc-double" }
    const [first, second] = await Promise.all([start(fields), start(fields)])

    expect(first.body.status).toBe("sent")
    expect(second.body.status).toBe("sent")
    expect(second.body.sessionId).toBe(first.body.sessionId)
    expect(stack.greenSms.messages.filter((message) => message.to === "79000000017")).toHaveLength(1)
  })

  it("refuses sends over the per-phone limit", async () => {
    stack.crm.addCustomer({ phones: [{ number: "+79000000018" }] })
    const replies = []
    // Different accounts, so the double-tap rule does not apply and each start is a send.
    for (const account of ["a1", "a2", "a3", "a4"]) {
      replies.push(await start({ phone: "+79000000018", channelType: "telegram", messengerUserId: `limit-${account}` }))
    }

    expect(replies.slice(0, 3).map((reply) => reply.body.status)).toEqual(["sent", "sent", "sent"])
    expect(replies[3]?.body).toMatchObject({
      status: "rate_limited",
      sessionId: null,
      errorCode: "rate_limited",
      message: "Слишком много запросов кода. Попробуйте позже."
    })
    const retryAfter = replies[3]?.body.retryAfterSec as number
    expect(retryAfter).toBeGreaterThan(890)
    expect(retryAfter).toBeLessThanOrEqual(900)
    expect(stack.greenSms.messages.filter((message) => message.to === "79000000018")).toHaveLength(3)
  })

  it("counts fake sessions in the limits", async () => {
    const replies = []
    for (const account of ["f1", "f2", "f3", "f4"]) {
      replies.push(await start({ phone: "+79000000019", channelType: "telegram", messengerUserId: `fake-${account}` }))
    }

    expect(replies.map((reply) => reply.body.status)).toEqual(["sent", "sent", "sent", "rate_limited"])
  })

  it("falls back to SMS when Telegram fails", async () => {
    stack.crm.addCustomer({ phones: [{ number: "+79000000020" }] })
    stack.greenSms.failRoute("telegram", { error: "Telegram is not available for this number", code: 9 })
    const reply = await start({ phone: "+79000000020", channelType: "telegram", messengerUserId: "acc-fallback" })

    expect(reply.body.status).toBe("sent")
    const sent = stack.greenSms.lastMessageTo("79000000020")
    expect(sent?.route).toBe("sms")
    expect(sent?.txt).toMatch(/^Код подтверждения: \d{6}\./)
  })

  it("reports delivery_failed when every route fails", async () => {
    stack.crm.addCustomer({ phones: [{ number: "+79000000021" }] })
    stack.greenSms.failRoute("telegram", { error: "Insufficient funds", code: -1 })
    stack.greenSms.failRoute("sms", { error: "Insufficient funds", code: -1 })
    const reply = await start({ phone: "+79000000021", channelType: "telegram", messengerUserId: "acc-nofunds" })

    expect(reply.body).toMatchObject({
      status: "error",
      sessionId: null,
      errorCode: "delivery_failed",
      message: "Не удалось отправить код. Попробуйте позже."
    })
    // The failed send released its slot: three more sends still fit the 15-minute limit.
    for (const account of ["r1", "r2", "r3"]) {
      const again = await start({
        phone: "+79000000021",
        channelType: "telegram",
        messengerUserId: `acc-nofunds-${account}`
      })
      expect(again.body.status).toBe("sent")
    }
  })

  it("reports crm_unavailable when RetailCRM fails", async () => {
    stack.crm.injectFault({ path: "/api/v5/customers", status: 500, body: "<html>oops</html>", times: 3 })
    const reply = await start({ phone: "+79000000022", channelType: "telegram", messengerUserId: "acc-crm-down" })

    expect(reply.body).toMatchObject({ status: "error", errorCode: "crm_unavailable" })
  })

  it("retries a throttled customer search", async () => {
    stack.crm.addCustomer({ phones: [{ number: "+79000000023" }] })
    stack.crm.injectFault({ path: "/api/v5/customers", status: 503, body: "<html>Service Unavailable</html>" })
    const reply = await start({ phone: "+79000000023", channelType: "telegram", messengerUserId: "acc-503" })

    expect(reply.body.status).toBe("sent")
    expect(stack.greenSms.lastMessageTo("79000000023")).toBeDefined()
  })
})

describe("POST /auth/start input", () => {
  const cases: ReadonlyArray<[string, Record<string, string>, string]> = [
    ["no channelType", { phone: "+79000000030", messengerUserId: "1" }, "missing_identity"],
    ["unknown channel", { phone: "+79000000030", channelType: "icq", messengerUserId: "1" }, "unsupported_channel"],
    ["no account id", { phone: "+79000000030", channelType: "telegram" }, "missing_identity"],
    [
      "placeholder id",
      { phone: "+79000000030", channelType: "telegram", messengerUserId: "{{customer.external_id}}" },
      "missing_identity"
    ],
    [
      "too long id",
      { phone: "+79000000030", channelType: "telegram", messengerUserId: "x".repeat(129) },
      "invalid_identity"
    ],
    [
      "control character",
      { phone: "+79000000030", channelType: "telegram", messengerUserId: "a\u0007b" },
      "invalid_identity"
    ],
    ["bad phone", { phone: "12345", channelType: "telegram", messengerUserId: "1" }, "invalid_phone"],
    ["no phone", { channelType: "telegram", messengerUserId: "1" }, "invalid_phone"],
    [
      "bad route",
      { phone: "+79000000030", channelType: "telegram", messengerUserId: "1", deliveryRoute: "pigeon" },
      "invalid_request"
    ],
    ["channel checked first", { phone: "12345", channelType: "icq" }, "unsupported_channel"]
  ]

  for (const [name, fields, errorCode] of cases) {
    it(`rejects ${name}`, async () => {
      const before = stack.greenSms.messages.length
      const reply = await start(fields)

      expect(reply.httpStatus).toBe(200)
      expect(Object.keys(reply.body).sort()).toEqual([...replyFields.start].sort())
      expect(reply.body).toMatchObject({ status: "error", sessionId: null, errorCode })
      expect(typeof reply.body.message).toBe("string")
      expect(stack.greenSms.messages.length).toBe(before)
    })
  }
})

describe("POST /auth/start with duplicates", () => {
  const duplicatePhone = (suffix: string) => {
    const first = stack.crm.addCustomer({ phones: [{ number: `+790000000${suffix}` }] })
    const second = stack.crm.addCustomer({ phones: [{ number: `8 900 000-00-${suffix}` }] })
    return { first, second, digits: `790000000${suffix}` }
  }

  for (const status of ["single", "resolved", "resolved_with_fallback_primary"]) {
    it(`uses the deduper's ${status} customer`, async () => {
      const suffix = { single: "40", resolved: "41", resolved_with_fallback_primary: "42" }[status] as string
      const { digits, second } = duplicatePhone(suffix)
      stack.deduper.setResult(digits, { status, finalCustomerId: second.id })
      stack.deduper.clearRequests()
      const reply = await start({ phone: `+${digits}`, channelType: "telegram", messengerUserId: `dedupe-${status}` })

      expect(reply.body.status).toBe("sent")
      expect(stack.greenSms.lastMessageTo(digits)).toBeDefined()
      expect(stack.deduper.requests).toHaveLength(1)
      expect(stack.deduper.requests[0]?.json).toMatchObject({
        phone: digits,
        requestSource: "auth-backend",
        waitForConfirmation: false
      })
    })
  }

  const failures: ReadonlyArray<[string, string, (ids: { first: number; second: number }) => void]> = [
    ["not_found", "43", () => {}],
    ["error", "44", () => {}],
    ["an empty id", "45", () => {}],
    ["a foreign id", "46", () => {}],
    ["a timeout", "47", () => {}]
  ]

  for (const [name, suffix] of failures) {
    it(`reports dedupe_failed on ${name}`, async () => {
      const { digits } = duplicatePhone(suffix)
      if (name === "error") stack.deduper.setResult(digits, { status: "error", finalCustomerId: null })
      if (name === "an empty id") stack.deduper.setResult(digits, { status: "resolved", finalCustomerId: "" })
      if (name === "a foreign id") stack.deduper.setResult(digits, { status: "resolved", finalCustomerId: 999999 })
      if (name === "a timeout") {
        stack.deduper.setResult(digits, { status: "resolved", finalCustomerId: 1 })
        stack.deduper.injectFault({ path: "/api/dedupe/auto-resolve", delayMs: 2000 })
      }
      const before = stack.greenSms.messages.length
      const reply = await start({
        phone: `+${digits}`,
        channelType: "telegram",
        messengerUserId: `dedupe-fail-${suffix}`
      })

      expect(reply.body).toMatchObject({
        status: "error",
        sessionId: null,
        errorCode: "dedupe_failed",
        message: "Не удалось отправить код. Напишите менеджеру."
      })
      expect(stack.greenSms.messages.length).toBe(before)
    })
  }
})
