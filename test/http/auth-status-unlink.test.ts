import { afterAll, afterEach, beforeAll, describe, expect, it } from "@effect/vitest"
import type { Customer } from "../emulators/retailcrm.js"
import type { Encoding, Fields } from "../support/client.js"
import { encodings, get, post, replyFields, tempDatabase } from "../support/client.js"
import { crmApiKey, Stack } from "../support/stack.js"

let stack: Stack

beforeAll(async () => {
  stack = await Stack.start({ sqlitePath: tempDatabase() })
})

afterEach(() => stack.crm.clearFaults())

afterAll(() => stack.close())

const telegramField = "bot_telegram_account_id"

const unlinkedText =
  "Учётная запись отвязана. Для входа в защищённые разделы потребуется снова подтвердить номер телефона."

const status = (fields: Fields) => get(stack.url, "/auth/status", fields)

const unlink = (fields: Fields, encoding: Encoding = "form") => post(stack.url, "/auth/unlink", fields, encoding)

/** Adds a customer whose Telegram field contains `accountId`, plus any other custom fields given. */
const boundCustomer = (accountId: string, phone: string | undefined, customFields: Record<string, unknown> = {}) =>
  stack.crm.addCustomer({
    phones: phone === undefined ? [] : [{ number: phone }],
    customFields: { [telegramField]: accountId, ...customFields }
  })

/** Custom field changes RetailCRM received for one customer, oldest first. */
const editsOf = (customer: Customer) =>
  stack.crm.requests
    .filter((request) => request.method === "POST" && request.path === `/api/v5/customers/${customer.id}/edit`)
    .map((request) => {
      const entity = JSON.parse(request.form?.get("customer") ?? "{}") as { customFields?: Record<string, unknown> }
      return entity.customFields
    })

describe("GET /auth/status", () => {
  it("reports a bound customer", async () => {
    const customer = boundCustomer("st-bound", "8 900 000-00-50")
    stack.crm.addCustomer({ phones: [{ number: "+79000000059" }] })
    const reply = await status({ channelType: "telegram", messengerUserId: "st-bound" })

    expect(reply.httpStatus).toBe(200)
    expect(Object.keys(reply.body).sort()).toEqual([...replyFields.status].sort())
    expect(reply.body).toEqual({
      status: "authorized",
      customerId: String(customer.id),
      maskedPhone: "+7 900 ***-**-50",
      errorCode: null,
      message: null
    })
  })

  it("masks the first phone", async () => {
    const customer = stack.crm.addCustomer({
      phones: [{ number: "+7 900 000-00-51" }, { number: "+7 900 000-00-52" }],
      customFields: { [telegramField]: "st-two-phones" }
    })
    const reply = await status({ channelType: "telegram", messengerUserId: "st-two-phones" })

    expect(reply.body.customerId).toBe(String(customer.id))
    expect(reply.body.maskedPhone).toBe("+7 900 ***-**-51")
  })

  it("returns null for no phone", async () => {
    boundCustomer("st-no-phone", undefined)
    const reply = await status({ channelType: "telegram", messengerUserId: "st-no-phone" })

    expect(reply.body.status).toBe("authorized")
    expect(reply.body.maskedPhone).toBeNull()
  })

  it("reports an unbound account", async () => {
    const reply = await status({ channelType: "telegram", messengerUserId: "st-nobody" })

    expect(reply.httpStatus).toBe(200)
    expect(Object.keys(reply.body).sort()).toEqual([...replyFields.status].sort())
    expect(reply.body).toEqual({
      status: "not_authorized",
      customerId: null,
      maskedPhone: null,
      errorCode: null,
      message: null
    })
  })

  it("reports two holders as conflict", async () => {
    boundCustomer("st-twice", "+79000000053")
    boundCustomer("st-twice", "+79000000054")
    const reply = await status({ channelType: "telegram", messengerUserId: "st-twice" })

    expect(Object.keys(reply.body).sort()).toEqual([...replyFields.status].sort())
    expect(reply.body).toEqual({
      status: "conflict",
      customerId: null,
      maskedPhone: null,
      errorCode: "binding_conflict",
      message: "Этот аккаунт уже привязан к другому профилю. Напишите менеджеру."
    })
  })

  it("reports a customerId mismatch", async () => {
    const customer = boundCustomer("st-mismatch", "+79000000055")
    const reply = await status({
      channelType: "telegram",
      messengerUserId: "st-mismatch",
      customerId: String(customer.id + 1000)
    })

    expect(Object.keys(reply.body).sort()).toEqual([...replyFields.status].sort())
    expect(reply.body).toEqual({
      status: "conflict",
      customerId: null,
      maskedPhone: null,
      errorCode: "customer_mismatch",
      message: "Не удалось подтвердить аккаунт. Напишите менеджеру."
    })
  })

  it("accepts a matching customerId", async () => {
    const customer = boundCustomer("st-match", "+79000000056")
    const reply = await status({ channelType: "telegram", messengerUserId: "st-match", customerId: customer.id })

    expect(reply.body.status).toBe("authorized")
    expect(reply.body.customerId).toBe(String(customer.id))
  })

  it("grants nothing for customerId alone", async () => {
    const customer = boundCustomer("st-claimed", "+79000000057")
    const reply = await status({ channelType: "telegram", messengerUserId: "st-other", customerId: customer.id })

    expect(reply.body.status).toBe("not_authorized")
    expect(reply.body.customerId).toBeNull()
  })

  it("ignores a loose CRM match", async () => {
    const holder = boundCustomer("1000000012", "+79000000058")
    const search = await fetch(`${stack.crm.url}/api/v5/customers?filter[customFields][${telegramField}]=100000001`, {
      headers: { "X-API-KEY": crmApiKey }
    })
    const found = ((await search.json()) as { customers: Array<{ id: number }> }).customers.map(({ id }) => id)

    // The CRM filter matches substrings, so the search returns the customer holding 1000000012.
    expect(found).toContain(holder.id)

    const loose = await status({ channelType: "telegram", messengerUserId: "100000001" })
    expect(loose.body.status).toBe("not_authorized")
    expect(loose.body.customerId).toBeNull()

    const exact = boundCustomer("100000001", undefined)
    const reply = await status({ channelType: "telegram", messengerUserId: "100000001" })

    expect(reply.body.status).toBe("authorized")
    expect(reply.body.customerId).toBe(String(exact.id))
  })

  it("reads the channel's own field", async () => {
    const customer = stack.crm.addCustomer({ customFields: { bot_vk_account_id: "st-vk" } })
    const telegram = await status({ channelType: "telegram", messengerUserId: "st-vk" })
    const vk = await status({ channelType: "vk", messengerUserId: "st-vk" })

    expect(telegram.body.status).toBe("not_authorized")
    expect(vk.body.status).toBe("authorized")
    expect(vk.body.customerId).toBe(String(customer.id))
  })

  it("reports crm_unavailable on failure", async () => {
    boundCustomer("st-crm-down", "+79000000060")
    stack.crm.injectFault({ path: "/api/v5/customers", status: 500, body: "<html>oops</html>", times: 5 })
    const reply = await status({ channelType: "telegram", messengerUserId: "st-crm-down" })

    expect(reply.httpStatus).toBe(200)
    expect(Object.keys(reply.body).sort()).toEqual([...replyFields.status].sort())
    expect(reply.body).toEqual({
      status: "error",
      customerId: null,
      maskedPhone: null,
      errorCode: "crm_unavailable",
      message: "Сервис временно недоступен. Попробуйте позже."
    })
  })

  it("rejects a missing channel", async () => {
    const reply = await status({ messengerUserId: "st-no-channel" })

    expect(Object.keys(reply.body).sort()).toEqual([...replyFields.status].sort())
    expect(reply.body).toMatchObject({ status: "error", customerId: null, errorCode: "missing_identity" })
    expect(reply.body.message).toBe("Не удалось определить ваш аккаунт в мессенджере.")
  })
})

describe("chatbot_interacted mark", () => {
  it("writes the mark once on a double tap", async () => {
    const customer = boundCustomer("st-mark-double", undefined)
    const replies = await Promise.all([
      status({ channelType: "telegram", messengerUserId: "st-mark-double" }),
      status({ channelType: "telegram", messengerUserId: "st-mark-double" })
    ])

    expect(replies.map((reply) => reply.body.status)).toEqual(["authorized", "authorized"])
    expect(editsOf(customer)).toEqual([{ chatbot_interacted: true }])
  })

  it("is set once", async () => {
    const customer = boundCustomer("mark-once", "+79000000061")
    const first = await status({ channelType: "telegram", messengerUserId: "mark-once" })

    expect(first.body.status).toBe("authorized")
    expect(stack.crm.customer(customer.id)?.customFields.chatbot_interacted).toBe(true)
    expect(editsOf(customer)).toEqual([{ chatbot_interacted: true }])

    const second = await status({ channelType: "telegram", messengerUserId: "mark-once" })

    expect(second.body.status).toBe("authorized")
    expect(editsOf(customer)).toHaveLength(1)
  })

  it("keeps the reply when marking fails", async () => {
    const customer = boundCustomer("mark-fails", "+79000000062")
    stack.crm.injectFault({ path: `/api/v5/customers/${customer.id}/edit`, status: 500, body: "<html>oops</html>" })
    const failed = await status({ channelType: "telegram", messengerUserId: "mark-fails" })

    expect(failed.body.status).toBe("authorized")
    expect(stack.crm.customer(customer.id)?.customFields.chatbot_interacted).toBeUndefined()

    // The failed mark was not recorded, so the next resolution tries again.
    await status({ channelType: "telegram", messengerUserId: "mark-fails" })

    expect(stack.crm.customer(customer.id)?.customFields.chatbot_interacted).toBe(true)
  })

  it("skips unbound accounts", async () => {
    const customer = stack.crm.addCustomer({ phones: [{ number: "+79000000063" }] })
    await status({ channelType: "telegram", messengerUserId: "mark-nobody", customerId: customer.id })

    expect(editsOf(customer)).toHaveLength(0)
  })
})

describe("POST /auth/unlink", () => {
  const lastVerified = {
    bot_last_verified_channel: "telegram",
    bot_last_verified_at: "2026-01-10 12:00:00",
    bot_last_verification_method: "telegram_otp"
  }

  for (const encoding of encodings) {
    it(`unlinks a bound account (${encoding})`, async () => {
      const accountId = `ul-${encoding}`
      const customer = boundCustomer(accountId, "+79000000064", { ...lastVerified, bot_vk_account_id: "ul-vk" })
      const reply = await unlink({ channelType: "telegram", messengerUserId: accountId }, encoding)

      expect(reply.httpStatus).toBe(200)
      expect(Object.keys(reply.body).sort()).toEqual([...replyFields.unlink].sort())
      expect(reply.body).toEqual({
        status: "unlinked",
        customerId: String(customer.id),
        channelType: "telegram",
        text: unlinkedText,
        errorCode: null,
        message: null
      })
      expect(editsOf(customer).at(-1)).toEqual({ [telegramField]: "" })
      const stored = stack.crm.customer(customer.id)?.customFields

      expect(stored?.[telegramField]).toBeUndefined()
      expect(stored).toMatchObject(lastVerified)
      expect(stored?.bot_vk_account_id).toBe("ul-vk")
    })

    it(`reports not_authorized afterwards (${encoding})`, async () => {
      const accountId = `ul-again-${encoding}`
      const customer = boundCustomer(accountId, "+79000000065")
      await unlink({ channelType: "telegram", messengerUserId: accountId }, encoding)
      const reply = await unlink({ channelType: "telegram", messengerUserId: accountId }, encoding)
      const after = await status({ channelType: "telegram", messengerUserId: accountId })

      expect(reply.body.status).toBe("not_authorized")
      expect(after.body.status).toBe("not_authorized")
      expect(editsOf(customer).filter((fields) => fields !== undefined && telegramField in fields)).toHaveLength(1)
    })

    it(`reports an unbound account (${encoding})`, async () => {
      const editsBefore = stack.crm.requests.filter((request) => request.path.endsWith("/edit")).length
      const reply = await unlink({ channelType: "telegram", messengerUserId: `ul-nobody-${encoding}` }, encoding)

      expect(Object.keys(reply.body).sort()).toEqual([...replyFields.unlink].sort())
      expect(reply.body).toEqual({
        status: "not_authorized",
        customerId: null,
        channelType: "telegram",
        text: null,
        errorCode: null,
        message: null
      })
      expect(stack.crm.requests.filter((request) => request.path.endsWith("/edit"))).toHaveLength(editsBefore)
    })

    it(`rejects two holders (${encoding})`, async () => {
      const accountId = `ul-twice-${encoding}`
      const first = boundCustomer(accountId, "+79000000066")
      const second = boundCustomer(accountId, "+79000000067")
      const reply = await unlink({ channelType: "telegram", messengerUserId: accountId }, encoding)

      expect(Object.keys(reply.body).sort()).toEqual([...replyFields.unlink].sort())
      expect(reply.body).toMatchObject({
        status: "conflict",
        customerId: null,
        text: null,
        errorCode: "binding_conflict",
        message: "Этот аккаунт уже привязан к другому профилю. Напишите менеджеру."
      })
      expect(stack.crm.customer(first.id)?.customFields[telegramField]).toBe(accountId)
      expect(stack.crm.customer(second.id)?.customFields[telegramField]).toBe(accountId)
      expect(editsOf(first)).toHaveLength(0)
      expect(editsOf(second)).toHaveLength(0)
    })

    it(`rejects a customerId mismatch (${encoding})`, async () => {
      const accountId = `ul-mismatch-${encoding}`
      const customer = boundCustomer(accountId, "+79000000068")
      const other = stack.crm.addCustomer({ phones: [{ number: "+79000000069" }] })
      const reply = await unlink(
        { channelType: "telegram", messengerUserId: accountId, customerId: String(other.id) },
        encoding
      )

      expect(Object.keys(reply.body).sort()).toEqual([...replyFields.unlink].sort())
      expect(reply.body).toMatchObject({
        status: "conflict",
        customerId: null,
        text: null,
        errorCode: "customer_mismatch",
        message: "Не удалось подтвердить аккаунт. Напишите менеджеру."
      })
      expect(stack.crm.customer(customer.id)?.customFields[telegramField]).toBe(accountId)
      expect(editsOf(customer)).toHaveLength(0)
    })

    it(`unlinks with a matching customerId (${encoding})`, async () => {
      const accountId = `ul-match-${encoding}`
      const customer = boundCustomer(accountId, "+79000000070")
      const reply = await unlink(
        { channelType: "telegram", messengerUserId: accountId, customerId: String(customer.id) },
        encoding
      )

      expect(reply.body.status).toBe("unlinked")
      expect(reply.body.customerId).toBe(String(customer.id))
      expect(stack.crm.customer(customer.id)?.customFields[telegramField]).toBeUndefined()
    })
  }

  it("clears only the request's channel", async () => {
    const customer = stack.crm.addCustomer({
      customFields: { [telegramField]: "ul-both", bot_vk_account_id: "ul-both" }
    })
    const reply = await unlink({ channelType: "vk", messengerUserId: "ul-both" })

    expect(reply.body.status).toBe("unlinked")
    expect(reply.body.channelType).toBe("vk")
    expect(stack.crm.customer(customer.id)?.customFields.bot_vk_account_id).toBeUndefined()
    expect(stack.crm.customer(customer.id)?.customFields[telegramField]).toBe("ul-both")
  })

  it("reports crm_unavailable when the edit fails", async () => {
    const customer = boundCustomer("ul-edit-fails", "+79000000071")
    // A status first records the chatbot mark, so the next edit is the unlink itself.
    await status({ channelType: "telegram", messengerUserId: "ul-edit-fails" })
    stack.crm.injectFault({ path: `/api/v5/customers/${customer.id}/edit`, status: 500, body: "<html>oops</html>" })
    const reply = await unlink({ channelType: "telegram", messengerUserId: "ul-edit-fails" })

    expect(Object.keys(reply.body).sort()).toEqual([...replyFields.unlink].sort())
    expect(reply.body).toMatchObject({
      status: "error",
      customerId: null,
      text: null,
      errorCode: "crm_unavailable",
      message: "Сервис временно недоступен. Попробуйте позже."
    })
    expect(stack.crm.customer(customer.id)?.customFields[telegramField]).toBe("ul-edit-fails")
  })

  it("reports crm_unavailable when the search fails", async () => {
    boundCustomer("ul-search-fails", "+79000000072")
    stack.crm.injectFault({ path: "/api/v5/customers", status: 500, body: "<html>oops</html>", times: 5 })
    const reply = await unlink({ channelType: "telegram", messengerUserId: "ul-search-fails" }, "json")

    expect(reply.body).toMatchObject({ status: "error", errorCode: "crm_unavailable" })
  })

  it("rejects an unknown channel", async () => {
    const reply = await unlink({ channelType: "icq", messengerUserId: "ul-icq" }, "json")

    expect(Object.keys(reply.body).sort()).toEqual([...replyFields.unlink].sort())
    expect(reply.body).toMatchObject({
      status: "error",
      channelType: null,
      errorCode: "unsupported_channel",
      message: "Этот мессенджер пока не поддерживается."
    })
  })
})
