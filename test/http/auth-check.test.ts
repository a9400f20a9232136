import { randomUUID } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import type { Encoding, Fields } from "../support/client.js"
import { encodings, post, replyFields, sleep, tempDatabase } from "../support/client.js"
import { Stack } from "../support/stack.js"

const dayMillis = 24 * 60 * 60 * 1000
const moscowOffsetMillis = 3 * 60 * 60 * 1000
const bindingField = "bot_telegram_account_id"

let stack: Stack
// Codes live one second here, so a test can wait for a session to expire.
let shortLived: Stack
// OTP_MAX_ATTEMPTS is 20 here, so each of 20 concurrent checks is compared and only the claim decides.
let roomy: Stack

beforeAll(async () => {
  stack = await Stack.start({ sqlitePath: tempDatabase() })
  shortLived = await Stack.start({ sqlitePath: tempDatabase(), env: { OTP_TTL_SECONDS: "1" } })
  roomy = await Stack.start({ sqlitePath: tempDatabase(), env: { OTP_MAX_ATTEMPTS: "20" } })
})

afterAll(() => Promise.all([stack?.close(), shortLived?.close(), roomy?.close()]))

interface Session {
  readonly sessionId: string
  readonly code: string
}

/** Starts a Telegram session for the phone and returns its id with the code GreenSMS received. */
const startSession = async (target: Stack, phoneDigits: string, accountId: string): Promise<Session> => {
  const reply = await post(target.url, "/auth/start", {
    phone: `+${phoneDigits}`,
    channelType: "telegram",
    messengerUserId: accountId
  })
  expect(reply.body.status).toBe("sent")
  return { sessionId: reply.body.sessionId as string, code: target.greenSms.lastCodeTo(phoneDigits) ?? "" }
}

const check = (target: Stack, fields: Fields, encoding: Encoding = "form") =>
  post(target.url, "/auth/check", fields, encoding)

const checkAs = (target: Stack, accountId: string, session: Session, code: string = session.code) =>
  check(target, { channelType: "telegram", messengerUserId: accountId, sessionId: session.sessionId, code })

/** The same number of digits, each one different from the code's. */
const wrongCode = (code: string) => code.replace(/\d/g, (digit) => String((Number(digit) + 1) % 10))

/** Moscow has kept UTC+3 all year since 2014, so a fixed offset gives its wall clock. */
const moscowTime = (millis: number) =>
  new Date(millis + moscowOffsetMillis).toISOString().slice(0, 19).replace("T", " ")

/** Custom fields of each customer edit the service sent to RetailCRM for this customer. */
const customerEdits = (target: Stack, customerId: number) =>
  target.crm.requests
    .filter((request) => request.method === "POST" && request.path === `/api/v5/customers/${customerId}/edit`)
    .map((request) => {
      const customer = JSON.parse(request.form?.get("customer") ?? "{}") as { customFields?: Record<string, unknown> }
      return customer.customFields ?? {}
    })

const bindingEdits = (target: Stack, customerId: number) =>
  customerEdits(target, customerId).filter((fields) => bindingField in fields)

const statuses = (replies: ReadonlyArray<{ readonly body: Record<string, unknown> }>) =>
  replies.map((reply) => reply.body.status)

const countOf = (values: ReadonlyArray<unknown>, expected: unknown) =>
  values.filter((value) => value === expected).length

describe("POST /auth/check", () => {
  for (const encoding of encodings) {
    it(`authorizes the right code (${encoding})`, async () => {
      const phoneDigits = encoding === "json" ? "79000000001" : "79000000002"
      const accountId = `check-ok-${encoding}`
      const customer = stack.crm.addCustomer({ phones: [{ number: `+${phoneDigits}` }] })
      const session = await startSession(stack, phoneDigits, accountId)

      const before = Date.now()
      const reply = await check(
        stack,
        { channelType: "telegram", messengerUserId: accountId, sessionId: session.sessionId, code: session.code },
        encoding
      )
      const after = Date.now()

      expect(reply.httpStatus).toBe(200)
      expect(Object.keys(reply.body).sort()).toEqual([...replyFields.check].sort())
      expect(reply.body).toMatchObject({
        status: "authorized",
        authorized: true,
        customerId: String(customer.id),
        maskedPhone: `+7 900 ***-**-${phoneDigits.slice(-2)}`,
        errorCode: null,
        message: null
      })
      const verifiedUntil = reply.body.verifiedUntil as string
      expect(verifiedUntil).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/)
      const verifiedAt = Date.parse(verifiedUntil) - 365 * dayMillis
      expect(verifiedAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000)
      expect(verifiedAt).toBeLessThanOrEqual(after)

      const fields = stack.crm.customer(customer.id)?.customFields ?? {}
      expect(fields[bindingField]).toBe(accountId)
      expect(fields.bot_last_verified_channel).toBe("telegram")
      expect(fields.bot_last_verified_at).toBe(moscowTime(verifiedAt))
      expect(fields.bot_last_verification_method).toBe("telegram_otp")
      expect(fields.chatbot_interacted).toBe(true)
    })
  }

  it("records sms_otp after a fallback", async () => {
    const customer = stack.crm.addCustomer({ phones: [{ number: "+79000000003" }] })
    stack.greenSms.failRoute("telegram", { error: "Telegram is not available for this number", code: 9 })
    const session = await startSession(stack, "79000000003", "check-fallback")

    expect(stack.greenSms.lastMessageTo("79000000003")?.route).toBe("sms")
    const reply = await checkAs(stack, "check-fallback", session)

    expect(reply.body.status).toBe("authorized")
    const fields = stack.crm.customer(customer.id)?.customFields ?? {}
    expect(fields[bindingField]).toBe("check-fallback")
    expect(fields.bot_last_verification_method).toBe("sms_otp")
  })

  it("sets chatbot_interacted only once", async () => {
    const customer = stack.crm.addCustomer({ phones: [{ number: "+79000000004" }] })
    const first = await startSession(stack, "79000000004", "check-mark")
    const firstReply = await checkAs(stack, "check-mark", first)
    const second = await startSession(stack, "79000000004", "check-mark")
    const secondReply = await checkAs(stack, "check-mark", second)

    expect(firstReply.body.status).toBe("authorized")
    expect(secondReply.body.status).toBe("authorized")
    expect(second.sessionId).not.toBe(first.sessionId)
    expect(bindingEdits(stack, customer.id)).toHaveLength(2)
    const marks = customerEdits(stack, customer.id).filter((fields) => "chatbot_interacted" in fields)
    expect(marks).toEqual([{ chatbot_interacted: true }])
    expect(stack.crm.customer(customer.id)?.customFields.chatbot_interacted).toBe(true)
  })

  it("rejects a wrong code", async () => {
    const customer = stack.crm.addCustomer({ phones: [{ number: "+79000000005" }] })
    const session = await startSession(stack, "79000000005", "check-wrong")
    const reply = await checkAs(stack, "check-wrong", session, wrongCode(session.code))

    expect(Object.keys(reply.body).sort()).toEqual([...replyFields.check].sort())
    expect(reply.body).toMatchObject({
      status: "invalid_code",
      authorized: false,
      customerId: null,
      verifiedUntil: null,
      maskedPhone: null,
      errorCode: "code_invalid",
      message: "Неверный код. Проверьте и попробуйте ещё раз."
    })
    expect(stack.crm.customer(customer.id)?.customFields[bindingField]).toBeUndefined()
  })

  it("locks the session after five wrong codes", async () => {
    const customer = stack.crm.addCustomer({ phones: [{ number: "+79000000006" }] })
    const session = await startSession(stack, "79000000006", "check-attempts")
    const wrong = []
    for (let attempt = 0; attempt < 5; attempt++) {
      wrong.push(await checkAs(stack, "check-attempts", session, wrongCode(session.code)))
    }
    const right = await checkAs(stack, "check-attempts", session)

    expect(statuses(wrong)).toEqual(["invalid_code", "invalid_code", "invalid_code", "invalid_code", "invalid_code"])
    expect(Object.keys(right.body).sort()).toEqual([...replyFields.check].sort())
    expect(right.body).toMatchObject({
      status: "too_many_attempts",
      authorized: false,
      customerId: null,
      errorCode: "too_many_attempts",
      message: "Слишком много попыток. Запросите новый код."
    })
    expect(stack.crm.customer(customer.id)?.customFields[bindingField]).toBeUndefined()
    expect(bindingEdits(stack, customer.id)).toHaveLength(0)
  })

  it("rejects an account bound elsewhere", async () => {
    const holder = stack.crm.addCustomer({ customFields: { [bindingField]: "check-taken" } })
    const customer = stack.crm.addCustomer({ phones: [{ number: "+79000000007" }] })
    const session = await startSession(stack, "79000000007", "check-taken")
    const reply = await checkAs(stack, "check-taken", session)
    const again = await checkAs(stack, "check-taken", session)

    expect(Object.keys(reply.body).sort()).toEqual([...replyFields.check].sort())
    expect(reply.body).toMatchObject({
      status: "conflict",
      authorized: false,
      customerId: null,
      verifiedUntil: null,
      errorCode: "binding_conflict",
      message: "Этот аккаунт уже привязан к другому профилю. Напишите менеджеру."
    })
    expect(stack.crm.customer(customer.id)?.customFields[bindingField]).toBeUndefined()
    expect(stack.crm.customer(holder.id)?.customFields[bindingField]).toBe("check-taken")
    expect(bindingEdits(stack, customer.id)).toHaveLength(0)
    expect(again.body).toMatchObject({ status: "error", errorCode: "session_closed" })
  })

  it("replaces the customer's old account id", async () => {
    const customer = stack.crm.addCustomer({
      phones: [{ number: "+79000000008" }],
      customFields: { [bindingField]: "check-old-account" }
    })
    const session = await startSession(stack, "79000000008", "check-new-account")
    const reply = await checkAs(stack, "check-new-account", session)

    expect(reply.body).toMatchObject({ status: "authorized", customerId: String(customer.id) })
    expect(stack.crm.customer(customer.id)?.customFields[bindingField]).toBe("check-new-account")
  })

  it("reports an unknown session", async () => {
    const reply = await check(stack, {
      channelType: "telegram",
      messengerUserId: "check-unknown",
      sessionId: randomUUID(),
      code: "123456"
    })

    expect(Object.keys(reply.body).sort()).toEqual([...replyFields.check].sort())
    expect(reply.body).toMatchObject({
      status: "error",
      authorized: false,
      customerId: null,
      errorCode: "session_not_found",
      message: "Код устарел. Запросите новый."
    })
  })

  it("hides another account's session", async () => {
    const customer = stack.crm.addCustomer({ phones: [{ number: "+79000000009" }] })
    const session = await startSession(stack, "79000000009", "check-owner")
    const base = { sessionId: session.sessionId, code: session.code }
    const foreign = [
      await check(stack, { ...base, channelType: "telegram", messengerUserId: "check-intruder" }),
      await check(stack, { ...base, channelType: "vk", messengerUserId: "check-owner" }),
      await check(stack, { ...base, channelType: "telegram", messengerUserId: "check-intruder-2" })
    ]

    for (const reply of foreign) {
      expect(reply.body).toMatchObject({ status: "error", authorized: false, errorCode: "session_not_found" })
    }
    expect(bindingEdits(stack, customer.id)).toHaveLength(0)

    // The foreign checks counted nothing: the owner still has all five attempts.
    const wrong = []
    for (let attempt = 0; attempt < 4; attempt++) {
      wrong.push(await checkAs(stack, "check-owner", session, wrongCode(session.code)))
    }
    const right = await checkAs(stack, "check-owner", session)

    expect(statuses(wrong)).toEqual(["invalid_code", "invalid_code", "invalid_code", "invalid_code"])
    expect(right.body).toMatchObject({ status: "authorized", customerId: String(customer.id) })
    expect(stack.crm.customer(customer.id)?.customFields[bindingField]).toBe("check-owner")
  })

  it("closes a used session", async () => {
    stack.crm.addCustomer({ phones: [{ number: "+79000000010" }] })
    const session = await startSession(stack, "79000000010", "check-reuse")
    const first = await checkAs(stack, "check-reuse", session)
    const second = await checkAs(stack, "check-reuse", session)

    expect(first.body.status).toBe("authorized")
    expect(Object.keys(second.body).sort()).toEqual([...replyFields.check].sort())
    expect(second.body).toMatchObject({
      status: "error",
      authorized: false,
      customerId: null,
      errorCode: "session_closed",
      message: "Код устарел. Запросите новый."
    })
  })

  it("rejects every code for a fake session", async () => {
    const before = stack.greenSms.messages.length
    const session = await startSession(stack, "79000000011", "check-fake")
    const replies = []
    for (const code of ["000000", "123456", "999999"]) {
      replies.push(await checkAs(stack, "check-fake", session, code))
    }

    expect(session.sessionId).toMatch(/^[0-9a-f-]{36}$/)
    expect(statuses(replies)).toEqual(["invalid_code", "invalid_code", "invalid_code"])
    for (const reply of replies) {
      expect(reply.body).toMatchObject({ authorized: false, customerId: null, errorCode: "code_invalid" })
    }
    expect(stack.greenSms.messages.length).toBe(before)
  })

  for (const [status, phoneDigits] of [
    [503, "79000000012"],
    [500, "79000000013"]
  ] as const) {
    it(`keeps the code after RetailCRM ${status}`, async () => {
      const accountId = `check-crm-${status}`
      const customer = stack.crm.addCustomer({ phones: [{ number: `+${phoneDigits}` }] })
      const session = await startSession(stack, phoneDigits, accountId)
      stack.crm.injectFault({
        path: `/api/v5/customers/${customer.id}/edit`,
        method: "POST",
        status,
        body: "<html>Service Unavailable</html>"
      })
      const failed = await checkAs(stack, accountId, session)

      expect(Object.keys(failed.body).sort()).toEqual([...replyFields.check].sort())
      expect(failed.body).toMatchObject({
        status: "error",
        authorized: false,
        customerId: null,
        errorCode: "crm_unavailable",
        message: "Сервис временно недоступен. Попробуйте позже."
      })
      expect(stack.crm.customer(customer.id)?.customFields[bindingField]).toBeUndefined()

      const retried = await checkAs(stack, accountId, session)

      expect(retried.body).toMatchObject({ status: "authorized", customerId: String(customer.id) })
      expect(stack.crm.customer(customer.id)?.customFields[bindingField]).toBe(accountId)
    })
  }

  it("lets one of 20 concurrent checks bind", async () => {
    const customer = roomy.crm.addCustomer({ phones: [{ number: "+79000000014" }] })
    const session = await startSession(roomy, "79000000014", "check-race")
    const replies = await Promise.all(Array.from({ length: 20 }, () => checkAs(roomy, "check-race", session)))
    const results = statuses(replies)

    expect(countOf(results, "authorized")).toBe(1)
    expect(countOf(results, "error")).toBe(19)
    const losers = replies.filter((reply) => reply.body.status === "error")
    expect(losers.map((reply) => reply.body.errorCode)).toEqual(Array(19).fill("session_closed"))
    expect(bindingEdits(roomy, customer.id)).toHaveLength(1)
    expect(roomy.crm.customer(customer.id)?.customFields[bindingField]).toBe("check-race")
  })

  it("binds once under the default attempt limit", async () => {
    const customer = stack.crm.addCustomer({ phones: [{ number: "+79000000018" }] })
    const session = await startSession(stack, "79000000018", "check-race-default")
    const replies = await Promise.all(Array.from({ length: 20 }, () => checkAs(stack, "check-race-default", session)))
    const errorCodes = replies.map((reply) => reply.body.errorCode)

    // Checks counted after the fifth get too_many_attempts without a comparison, and the rest lose the claim.
    expect(countOf(statuses(replies), "authorized")).toBe(1)
    expect(countOf(errorCodes, "session_closed") + countOf(errorCodes, "too_many_attempts")).toBe(19)
    expect(countOf(errorCodes, "too_many_attempts")).toBeLessThanOrEqual(15)
    expect(bindingEdits(stack, customer.id)).toHaveLength(1)
  })

  it("compares at most five of 20 concurrent guesses", async () => {
    const customer = stack.crm.addCustomer({ phones: [{ number: "+79000000015" }] })
    const session = await startSession(stack, "79000000015", "check-guesses")
    const guesses = await Promise.all(
      Array.from({ length: 20 }, () => checkAs(stack, "check-guesses", session, wrongCode(session.code)))
    )
    const results = statuses(guesses)
    const right = await checkAs(stack, "check-guesses", session)

    expect(countOf(results, "invalid_code")).toBe(5)
    expect(countOf(results, "too_many_attempts")).toBe(15)
    expect(right.body.status).toBe("too_many_attempts")
    expect(bindingEdits(stack, customer.id)).toHaveLength(0)
  })

  it("keeps a session across a restart", async () => {
    const customer = stack.crm.addCustomer({ phones: [{ number: "+79000000016" }] })
    const session = await startSession(stack, "79000000016", "check-restart")
    await stack.stopService()
    await stack.startService()
    const reply = await checkAs(stack, "check-restart", session)

    expect(reply.body).toMatchObject({ status: "authorized", customerId: String(customer.id) })
    expect(stack.crm.customer(customer.id)?.customFields[bindingField]).toBe("check-restart")
  })
})

describe("POST /auth/check with a short lifetime", () => {
  it("reports an expired code", async () => {
    const customer = shortLived.crm.addCustomer({ phones: [{ number: "+79000000017" }] })
    const session = await startSession(shortLived, "79000000017", "check-expired")
    await sleep(1500)
    const reply = await checkAs(shortLived, "check-expired", session)

    expect(Object.keys(reply.body).sort()).toEqual([...replyFields.check].sort())
    expect(reply.body).toMatchObject({
      status: "expired",
      authorized: false,
      customerId: null,
      verifiedUntil: null,
      errorCode: "code_expired",
      message: "Срок действия кода истёк. Запросите новый."
    })
    expect(shortLived.crm.customer(customer.id)?.customFields[bindingField]).toBeUndefined()
  })
})
