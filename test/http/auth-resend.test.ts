import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import type { BotReply, Encoding, Fields } from "../support/client.js"
import { encodings, post, replyFields, sleep, tempDatabase } from "../support/client.js"
import { Stack } from "../support/stack.js"

// Once the session is known, failures of a resend still tell which phone it was for.
const maskedPattern = /^\+7 900 \*\*\*-\*\*-\d{2}$/

// Longer than the one-second cooldown and lifetime of the short stacks below.
const pastOneSecondMillis = 1200

let stack: Stack
// One-second resend cooldown, and five sends per phone in 15 minutes, so a start and three resends fit.
let quick: Stack
// Codes live one second here, so a test can wait for a session to expire.
let shortLived: Stack

beforeAll(async () => {
  stack = await Stack.start({ sqlitePath: tempDatabase() })
  quick = await Stack.start({
    sqlitePath: tempDatabase(),
    env: { OTP_RESEND_COOLDOWN_SECONDS: "1", OTP_SENDS_PER_PHONE_15MIN: "5" }
  })
  shortLived = await Stack.start({ sqlitePath: tempDatabase(), env: { OTP_TTL_SECONDS: "1" } })
})

afterAll(() => Promise.all([stack?.close(), quick?.close(), shortLived?.close()]))

interface Session {
  readonly sessionId: string
  readonly code: string | undefined
}

/** Starts a Telegram session for the phone and returns its id with the code GreenSMS received, if any. */
const startSession = async (target: Stack, phoneDigits: string, accountId: string): Promise<Session> => {
  const reply = await post(target.url, "/auth/start", {
    phone: `+${phoneDigits}`,
    channelType: "telegram",
    messengerUserId: accountId
  })
  expect(reply.body.status).toBe("sent")
  return { sessionId: reply.body.sessionId as string, code: target.greenSms.lastCodeTo(phoneDigits) }
}

const resend = (target: Stack, fields: Fields, encoding: Encoding = "form") =>
  post(target.url, "/auth/resend", fields, encoding)

const resendAs = (target: Stack, accountId: string, session: Session, extra: Fields = {}) =>
  resend(target, { channelType: "telegram", messengerUserId: accountId, sessionId: session.sessionId, ...extra })

const checkAs = (target: Stack, accountId: string, session: Session, code: string) =>
  post(target.url, "/auth/check", {
    channelType: "telegram",
    messengerUserId: accountId,
    sessionId: session.sessionId,
    code
  })

/** The same number of digits, each one different from the code's. */
const wrongCode = (code: string) => code.replace(/\d/g, (digit) => String((Number(digit) + 1) % 10))

const fieldNames = (reply: BotReply) => Object.keys(reply.body).sort()

const messagesTo = (target: Stack, phoneDigits: string) =>
  target.greenSms.messages.filter((message) => message.to === phoneDigits)

describe("POST /auth/resend", () => {
  it("sends a new code", async () => {
    quick.crm.addCustomer({ phones: [{ number: "+79000000050" }] })
    const session = await startSession(quick, "79000000050", "resend-new")
    await sleep(pastOneSecondMillis)
    const reply = await resendAs(quick, "resend-new", session)
    const newCode = quick.greenSms.lastCodeTo("79000000050") ?? ""

    expect(reply.httpStatus).toBe(200)
    expect(fieldNames(reply)).toEqual([...replyFields.resend].sort())
    expect(reply.body).toMatchObject({
      status: "sent",
      retryAfterSec: 1,
      maskedPhone: "+7 900 ***-**-50",
      errorCode: null,
      message: null
    })
    expect(messagesTo(quick, "79000000050")).toHaveLength(2)
    expect(quick.greenSms.lastMessageTo("79000000050")?.route).toBe("telegram")
    expect(newCode).toMatch(/^\d{6}$/)

    const old = await checkAs(quick, "resend-new", session, session.code ?? "")
    const current = await checkAs(quick, "resend-new", session, newCode)

    expect(old.body).toMatchObject({ status: "invalid_code", errorCode: "code_invalid" })
    expect(current.body).toMatchObject({ status: "authorized", authorized: true })
  })

  for (const encoding of encodings) {
    it(`rejects an early resend (${encoding})`, async () => {
      const phoneDigits = encoding === "json" ? "79000000051" : "79000000052"
      const accountId = `resend-early-${encoding}`
      stack.crm.addCustomer({ phones: [{ number: `+${phoneDigits}` }] })
      const session = await startSession(stack, phoneDigits, accountId)
      const reply = await resend(
        stack,
        { channelType: "telegram", messengerUserId: accountId, sessionId: session.sessionId },
        encoding
      )

      expect(fieldNames(reply)).toEqual([...replyFields.resend].sort())
      expect(reply.body).toMatchObject({
        status: "too_early",
        maskedPhone: expect.stringMatching(maskedPattern),
        errorCode: "resend_too_early",
        message: "Новый код можно запросить чуть позже."
      })
      const retryAfter = reply.body.retryAfterSec as number
      expect(Number.isInteger(retryAfter)).toBe(true)
      expect(retryAfter).toBeGreaterThanOrEqual(59)
      expect(retryAfter).toBeLessThanOrEqual(60)
      expect(messagesTo(stack, phoneDigits)).toHaveLength(1)
    })
  }

  it("stops after three resends", async () => {
    quick.crm.addCustomer({ phones: [{ number: "+79000000053" }] })
    const session = await startSession(quick, "79000000053", "resend-max")
    const replies = []
    for (let round = 0; round < 4; round++) {
      await sleep(pastOneSecondMillis)
      replies.push(await resendAs(quick, "resend-max", session))
    }

    expect(replies.map((reply) => reply.body.status)).toEqual(["sent", "sent", "sent", "rate_limited"])
    const rejected = replies[3] as BotReply
    expect(fieldNames(rejected)).toEqual([...replyFields.resend].sort())
    expect(rejected.body).toMatchObject({
      status: "rate_limited",
      retryAfterSec: null,
      maskedPhone: expect.stringMatching(maskedPattern),
      errorCode: "rate_limited",
      message: "Слишком много запросов кода. Попробуйте позже."
    })
    expect(messagesTo(quick, "79000000053")).toHaveLength(4)
  })

  it("switches the route to SMS", async () => {
    const customer = quick.crm.addCustomer({ phones: [{ number: "+79000000054" }] })
    const session = await startSession(quick, "79000000054", "resend-sms")
    await sleep(pastOneSecondMillis)
    const reply = await resendAs(quick, "resend-sms", session, { deliveryRoute: "sms" })
    const sent = quick.greenSms.lastMessageTo("79000000054")

    expect(fieldNames(reply)).toEqual([...replyFields.resend].sort())
    expect(reply.body.status).toBe("sent")
    expect(sent?.route).toBe("sms")
    expect(sent?.txt).toMatch(/^Код подтверждения: \d{6}\. Никому его не сообщайте\.$/)

    const check = await checkAs(quick, "resend-sms", session, quick.greenSms.lastCodeTo("79000000054") ?? "")

    expect(check.body.status).toBe("authorized")
    expect(quick.crm.customer(customer.id)?.customFields.bot_last_verification_method).toBe("sms_otp")
  })

  it("hides a session from other identities", async () => {
    stack.crm.addCustomer({ phones: [{ number: "+79000000055" }] })
    const session = await startSession(stack, "79000000055", "resend-owner")
    const replies = [
      await resendAs(stack, "resend-intruder", session),
      await resend(stack, { channelType: "vk", messengerUserId: "resend-owner", sessionId: session.sessionId }),
      await resend(stack, { channelType: "telegram", customerExternalId: "resend-other", sessionId: session.sessionId })
    ]

    for (const reply of replies) {
      expect(fieldNames(reply)).toEqual([...replyFields.resend].sort())
      expect(reply.body).toMatchObject({
        status: "error",
        retryAfterSec: null,
        maskedPhone: null,
        errorCode: "session_not_found",
        message: "Код устарел. Запросите новый."
      })
    }
    expect(messagesTo(stack, "79000000055")).toHaveLength(1)
  })

  it("closes a used session", async () => {
    stack.crm.addCustomer({ phones: [{ number: "+79000000056" }] })
    const session = await startSession(stack, "79000000056", "resend-used")
    const check = await checkAs(stack, "resend-used", session, session.code ?? "")
    const reply = await resendAs(stack, "resend-used", session)

    expect(check.body.status).toBe("authorized")
    expect(fieldNames(reply)).toEqual([...replyFields.resend].sort())
    expect(reply.body).toMatchObject({
      status: "error",
      retryAfterSec: null,
      maskedPhone: expect.stringMatching(maskedPattern),
      errorCode: "session_closed",
      message: "Код устарел. Запросите новый."
    })
    expect(messagesTo(stack, "79000000056")).toHaveLength(1)
  })

  it("keeps the attempt counter", async () => {
    const customer = quick.crm.addCustomer({ phones: [{ number: "+79000000057" }] })
    const session = await startSession(quick, "79000000057", "resend-attempts")
    const before = []
    for (let attempt = 0; attempt < 4; attempt++) {
      before.push(await checkAs(quick, "resend-attempts", session, wrongCode(session.code ?? "")))
    }
    await sleep(pastOneSecondMillis)
    const resent = await resendAs(quick, "resend-attempts", session)
    const newCode = quick.greenSms.lastCodeTo("79000000057") ?? ""
    const fifth = await checkAs(quick, "resend-attempts", session, wrongCode(newCode))
    const right = await checkAs(quick, "resend-attempts", session, newCode)

    expect(before.map((reply) => reply.body.status)).toEqual([
      "invalid_code",
      "invalid_code",
      "invalid_code",
      "invalid_code"
    ])
    expect(resent.body.status).toBe("sent")
    expect(fifth.body.status).toBe("invalid_code")
    expect(right.body).toMatchObject({ status: "too_many_attempts", errorCode: "too_many_attempts" })
    expect(quick.crm.customer(customer.id)?.customFields.bot_telegram_account_id).toBeUndefined()
  })

  it("resends nothing for a fake session", async () => {
    const before = quick.greenSms.messages.length
    const session = await startSession(quick, "79000000058", "resend-fake")
    await sleep(pastOneSecondMillis)
    const reply = await resendAs(quick, "resend-fake", session)

    expect(session.code).toBeUndefined()
    expect(fieldNames(reply)).toEqual([...replyFields.resend].sort())
    expect(reply.body).toMatchObject({
      status: "sent",
      retryAfterSec: 1,
      maskedPhone: "+7 900 ***-**-58",
      errorCode: null,
      message: null
    })
    expect(quick.greenSms.messages.length).toBe(before)
  })
})

describe("POST /auth/resend with a short lifetime", () => {
  it("reports an expired session", async () => {
    shortLived.crm.addCustomer({ phones: [{ number: "+79000000059" }] })
    const session = await startSession(shortLived, "79000000059", "resend-expired")
    await sleep(1500)
    const reply = await resendAs(shortLived, "resend-expired", session)

    expect(fieldNames(reply)).toEqual([...replyFields.resend].sort())
    expect(reply.body).toMatchObject({
      status: "expired",
      retryAfterSec: null,
      maskedPhone: expect.stringMatching(maskedPattern),
      errorCode: "code_expired",
      message: "Срок действия кода истёк. Запросите новый."
    })
    expect(messagesTo(shortLived, "79000000059")).toHaveLength(1)
  })
})
