import { afterAll, afterEach, beforeAll, describe, expect, it } from "@effect/vitest"
import type { Fault } from "../emulators/http.js"
import type {
  Customer,
  Offer,
  OfferInput,
  Order,
  OrderInput,
  OrderItemInput,
  OrderOffer
} from "../emulators/retailcrm.js"
import type { Encoding, Fields } from "../support/client.js"
import { encodings, get, post, sleep, tempDatabase } from "../support/client.js"
import { crmApiKey, Stack } from "../support/stack.js"

let stack: Stack
// A default site, order type, method, number format and comment template set, no dedup window, and
// half-second CRM calls.
let configured: Stack

beforeAll(async () => {
  stack = await Stack.start({ sqlitePath: tempDatabase() })
  configured = await Stack.start({
    sqlitePath: tempDatabase(),
    env: {
      RETAILCRM_SITE: "main-shop",
      RETAILCRM_ORDER_TYPE: "eshop-individual",
      RETAILCRM_ORDER_METHOD: "messenger",
      REPEAT_ORDER_NUMBER_PREFIX: "TG",
      REPEAT_ORDER_NUMBER_SUFFIX: "-R",
      REPEAT_ORDER_COMMENT_TEMPLATE: "Повтор {sourceOrderNumber} (id {sourceOrderId}) из {channelType}",
      REPEAT_ORDER_DEDUP_SECONDS: "0",
      RETAILCRM_TIMEOUT_SECONDS: "0.5"
    }
  })
})

afterEach(() => {
  stack.crm.clearFaults()
  configured.crm.clearFaults()
})

afterAll(() => Promise.all([stack?.close(), configured?.close()]))

const telegramField = "bot_telegram_account_id"
const createPath = "/api/v5/orders/create"
const newNumberPattern = /^CHT\d{8}-BOT$/

const replyKeys = [
  "status",
  "customerId",
  "sourceOrderId",
  "sourceOrderNumber",
  "newOrderId",
  "newOrderNumber",
  "unavailableItemName",
  "text",
  "errorCode",
  "message"
]

// The success text exactly as the contract quotes it, with its example number.
const sampleNumber = "CHT48291357-BOT"
const sampleCreatedText =
  "Заказ оформлен! 👍\n\nНомер вашего заказа: CHT48291357-BOT\n\nПока что мы не можем оформить оплату через бота, поэтому придётся подключить менеджера. Уже спешим на помощь! 🦸\n\nА если хотите что-то поменять, то можете пока написать, что нужно скорректировать, мы обязательно поможем."
const createdText = (orderNumber: string) => sampleCreatedText.replace(sampleNumber, orderNumber)

const handOffText =
  "Не получилось оформить заказ автоматически. Мы уже передали запрос менеджеру — он скоро свяжется с вами."
const createFailedMessage = "Не получилось оформить заказ. Мы уже передали запрос менеджеру."
const notFoundMessage = "Заказ не найден."
const unavailableMessage = "Один из товаров сейчас недоступен, поэтому повторить заказ не получится."

const duplicateNumberBody = (orderNumber: string) =>
  JSON.stringify({
    success: false,
    errorMsg: "Order is not loaded",
    errors: { number: `Order with number ${orderNumber} already exists.` }
  })

const address = {
  index: "101000",
  countryIso: "RU",
  city: "Москва",
  street: "Тестовая улица",
  building: "7",
  flat: "12",
  text: "Москва, Тестовая улица, 7, кв. 12"
}

let sourceSequence = 100

/** Returns a source order number unique within the file. Its letters keep it from matching a generated number. */
const nextSourceNumber = () => `SRC-${sourceSequence++}`

const identity = (accountId: string) => ({ channelType: "telegram", messengerUserId: accountId })

const repeatOn = (target: Stack, fields: Fields, encoding: Encoding = "form") =>
  post(target.url, "/orders/repeat", fields, encoding)

const repeat = (fields: Fields, encoding: Encoding = "form") => repeatOn(stack, fields, encoding)

/** Adds a customer whose Telegram field contains `accountId`. */
const boundCustomer = (accountId: string, target: Stack = stack) =>
  target.crm.addCustomer({
    firstName: "Пётр",
    lastName: "Тестов",
    phones: [{ number: "+7 900 000-00-80" }],
    customFields: { [telegramField]: accountId }
  })

/** Adds a product with one offer and returns the offer. */
const addOffer = (name: string, offer: OfferInput = {}, target: Stack = stack): Offer => {
  const product = target.crm.addProduct({ name, offers: [{ name, ...offer }] })
  const [first] = product.offers
  if (first === undefined) throw new Error(`The emulator stored product ${product.id} without an offer.`)
  return first
}

/**
 * Casts an offer reference by `externalId` or `xmlId` alone, which the emulator's input type does not allow.
 * Real orders also carry the offer's `id`, but without it the service sends the other field.
 */
const offerReference = (reference: { readonly externalId?: string; readonly xmlId?: string }) =>
  reference as unknown as OrderOffer

/** Adds an order of `customer` on site `shop-two`, with the contact, manager, prices and delivery a real one has. */
const addSourceOrder = (
  customer: Pick<Customer, "id">,
  items: ReadonlyArray<OrderItemInput>,
  overrides: Partial<OrderInput> = {},
  target: Stack = stack
): Order =>
  target.crm.addOrder({
    customer: { id: customer.id },
    number: nextSourceNumber(),
    site: "shop-two",
    status: "complete",
    firstName: "Анна",
    lastName: "Примерова",
    phone: "+7 900 000-00-81",
    email: "anna.primerova@example.com",
    managerId: 17,
    items: [...items],
    delivery: { code: "pr-rs", cost: 300, netCost: 250, address: { ...address } },
    ...overrides
  })

/** Adds a bound customer with a one-line source order of two units of a fresh offer. */
const customerWithOrder = (accountId: string, target: Stack = stack) => {
  const customer = boundCustomer(accountId, target)
  const offer = addOffer(`Шампунь ${accountId}`, {}, target)
  const source = addSourceOrder(customer, [{ quantity: 2, initialPrice: 990, offer: { id: offer.id } }], {}, target)
  return { customer, offer, source }
}

interface SentOrder {
  readonly site: string | null
  readonly order: Record<string, unknown> & {
    readonly number?: string
    readonly items?: Array<Record<string, unknown>>
    readonly delivery?: Record<string, unknown>
  }
}

/** Lists the order creates RetailCRM received for this customer, oldest first, decoded from the `order` field. */
const sentOrders = (customer: Pick<Customer, "id">, target: Stack = stack): SentOrder[] =>
  target.crm.requests
    .filter((request) => request.method === "POST" && request.path === createPath)
    .map((request) => ({
      site: request.form?.get("site") ?? null,
      order: JSON.parse(request.form?.get("order") ?? "{}") as SentOrder["order"]
    }))
    .filter((sent) => (sent.order.customer as { id?: unknown } | undefined)?.id === customer.id)

/** Returns the one order create sent for this customer, and fails the test when there is not exactly one. */
const onlySentOrder = (customer: Pick<Customer, "id">, target: Stack = stack): SentOrder["order"] => {
  const sent = sentOrders(customer, target)
  expect(sent).toHaveLength(1)
  return sent[0]?.order ?? {}
}

/**
 * Returns the items of the one order create sent for this customer, with offer ids read as numbers. The
 * contract fixes the fields of an item but not the JSON type of the id, and the service sends strings.
 */
const sentItems = (customer: Pick<Customer, "id">) =>
  (onlySentOrder(customer).items ?? []).map((item) => {
    const offer = item.offer as Record<string, unknown> | undefined
    return offer !== undefined && "id" in offer ? { ...item, offer: { ...offer, id: Number(offer.id) } } : item
  })

const createdFor = (customer: Pick<Customer, "id">, target: Stack = stack) =>
  target.crm.createdOrders().filter((order) => order.customer.id === customer.id)

/** Lists the numbers of the order lookups by number that RetailCRM received. */
const numberLookups = (target: Stack = stack) =>
  target.crm.requests
    .filter((request) => request.method === "GET" && request.path === "/api/v5/orders")
    .flatMap((request) => request.query.getAll("filter[numbers][]"))

describe("POST /orders/repeat", () => {
  for (const encoding of encodings) {
    it(`creates the order (${encoding})`, async () => {
      const accountId = `rp-created-${encoding}`
      const { customer, source } = customerWithOrder(accountId)
      const reply = await repeat({ ...identity(accountId), sourceOrderId: source.id }, encoding)
      const created = createdFor(customer)

      expect(reply.httpStatus).toBe(200)
      expect(Object.keys(reply.body).sort()).toEqual([...replyKeys].sort())
      expect(created).toHaveLength(1)
      const newOrderNumber = String(reply.body.newOrderNumber)

      expect(newOrderNumber).toMatch(newNumberPattern)
      expect(reply.body).toEqual({
        status: "created",
        customerId: String(customer.id),
        sourceOrderId: String(source.id),
        sourceOrderNumber: source.number,
        newOrderId: String(created[0]?.id),
        newOrderNumber,
        unavailableItemName: null,
        text: createdText(newOrderNumber),
        errorCode: null,
        message: null
      })
      expect(created[0]?.number).toBe(newOrderNumber)
    })

    it(`finds the source by number (${encoding})`, async () => {
      const accountId = `rp-by-number-${encoding}`
      const { customer, source } = customerWithOrder(accountId)
      const reply = await repeat({ ...identity(accountId), sourceOrderNumber: source.number }, encoding)

      expect(reply.body.status).toBe("created")
      expect(reply.body.sourceOrderId).toBe(String(source.id))
      expect(reply.body.sourceOrderNumber).toBe(source.number)
      expect(createdFor(customer)).toHaveLength(1)
    })

    it(`accepts a matching customerId (${encoding})`, async () => {
      const accountId = `rp-match-${encoding}`
      const { customer, source } = customerWithOrder(accountId)
      const reply = await repeat(
        { ...identity(accountId), customerId: customer.id, sourceOrderId: source.id },
        encoding
      )

      expect(reply.body.status).toBe("created")
      expect(reply.body.customerId).toBe(String(customer.id))
    })

    it(`rejects a customerId mismatch (${encoding})`, async () => {
      const accountId = `rp-mismatch-${encoding}`
      const { customer, source } = customerWithOrder(accountId)
      const other = stack.crm.addCustomer({ phones: [{ number: "+7 900 000-00-82" }] })
      const reply = await repeat({ ...identity(accountId), customerId: other.id, sourceOrderId: source.id }, encoding)

      expect(Object.keys(reply.body).sort()).toEqual([...replyKeys].sort())
      expect(reply.body).toEqual({
        status: "conflict",
        customerId: null,
        sourceOrderId: null,
        sourceOrderNumber: null,
        newOrderId: null,
        newOrderNumber: null,
        unavailableItemName: null,
        text: null,
        errorCode: "customer_mismatch",
        message: "Не удалось подтвердить аккаунт. Напишите менеджеру."
      })
      expect(sentOrders(customer)).toHaveLength(0)
      expect(sentOrders(other)).toHaveLength(0)
    })

    it(`reports an unbound account (${encoding})`, async () => {
      const owner = stack.crm.addCustomer({ phones: [{ number: "+7 900 000-00-83" }] })
      const offer = addOffer(`Шампунь rp-unbound-${encoding}`)
      const source = addSourceOrder(owner, [{ quantity: 1, offer: { id: offer.id } }])
      const reply = await repeat(
        { ...identity(`rp-unbound-${encoding}`), customerId: owner.id, sourceOrderId: source.id },
        encoding
      )

      expect(Object.keys(reply.body).sort()).toEqual([...replyKeys].sort())
      expect(reply.body).toEqual({
        status: "not_authorized",
        customerId: null,
        sourceOrderId: null,
        sourceOrderNumber: null,
        newOrderId: null,
        newOrderNumber: null,
        unavailableItemName: null,
        text: null,
        errorCode: null,
        message: null
      })
      expect(sentOrders(owner)).toHaveLength(0)
    })

    it(`requires a source order (${encoding})`, async () => {
      const accountId = `rp-no-source-${encoding}`
      const { customer } = customerWithOrder(accountId)
      const reply = await repeat(identity(accountId), encoding)

      expect(Object.keys(reply.body).sort()).toEqual([...replyKeys].sort())
      expect(reply.body).toMatchObject({
        status: "error",
        newOrderId: null,
        text: null,
        errorCode: "invalid_request",
        message: "Не удалось обработать запрос. Попробуйте ещё раз."
      })
      expect(sentOrders(customer)).toHaveLength(0)
    })

    it(`hides another customer's order (${encoding})`, async () => {
      const accountId = `rp-foreign-${encoding}`
      const customer = boundCustomer(accountId)
      const { customer: owner, source } = customerWithOrder(`rp-foreign-owner-${encoding}`)
      const reply = await repeat({ ...identity(accountId), sourceOrderId: source.id }, encoding)

      expect(Object.keys(reply.body).sort()).toEqual([...replyKeys].sort())
      expect(reply.body).toMatchObject({
        status: "not_found",
        customerId: String(customer.id),
        sourceOrderId: null,
        newOrderId: null,
        newOrderNumber: null,
        text: null,
        errorCode: "order_not_found",
        message: notFoundMessage
      })
      expect(sentOrders(customer)).toHaveLength(0)
      expect(sentOrders(owner)).toHaveLength(0)
      expect(createdFor(owner)).toHaveLength(0)
    })

    it(`reports a taken-number hand-off (${encoding})`, async () => {
      const accountId = `rp-numbers-taken-${encoding}`
      const { customer, source } = customerWithOrder(accountId)
      stack.crm.injectFault({
        path: createPath,
        method: "POST",
        status: 400,
        body: duplicateNumberBody("CHT00000000-BOT"),
        times: 3
      })
      const reply = await repeat({ ...identity(accountId), sourceOrderId: source.id }, encoding)
      const numbers = sentOrders(customer).map((sent) => sent.order.number)

      expect(Object.keys(reply.body).sort()).toEqual([...replyKeys].sort())
      expect(reply.body).toMatchObject({
        status: "error",
        newOrderId: null,
        newOrderNumber: null,
        text: handOffText,
        errorCode: "order_create_failed",
        message: createFailedMessage
      })
      expect(numbers).toHaveLength(3)
      expect(new Set(numbers).size).toBe(3)
      expect(createdFor(customer)).toHaveLength(0)
    })
  }

  it("hides another customer's order by number", async () => {
    const accountId = "rp-foreign-number"
    const customer = boundCustomer(accountId)
    const { customer: owner, source } = customerWithOrder("rp-foreign-number-owner")
    const reply = await repeat({ ...identity(accountId), sourceOrderNumber: source.number })

    expect(reply.body.status).toBe("not_found")
    expect(reply.body.errorCode).toBe("order_not_found")
    expect(sentOrders(customer)).toHaveLength(0)
    expect(createdFor(owner)).toHaveLength(0)
  })

  it("reports an unknown order id", async () => {
    const accountId = "rp-unknown-id"
    const customer = boundCustomer(accountId)
    const reply = await repeat({ ...identity(accountId), sourceOrderId: "999999" })

    expect(reply.body.status).toBe("not_found")
    expect(reply.body.errorCode).toBe("order_not_found")
    expect(reply.body.message).toBe(notFoundMessage)
    expect(reply.body.text).toBeNull()
    expect(sentOrders(customer)).toHaveLength(0)
  })

  it("reports an unknown order number", async () => {
    const accountId = "rp-unknown-number"
    const customer = boundCustomer(accountId)
    const reply = await repeat({ ...identity(accountId), sourceOrderNumber: "SRC-NONE" })

    expect(reply.body.status).toBe("not_found")
    expect(reply.body.errorCode).toBe("order_not_found")
    expect(sentOrders(customer)).toHaveLength(0)
  })

  it("prefers sourceOrderId over number", async () => {
    const accountId = "rp-both-sources"
    const { customer, offer, source } = customerWithOrder(accountId)
    const other = addSourceOrder(customer, [{ quantity: 5, offer: { id: offer.id } }])
    const reply = await repeat({ ...identity(accountId), sourceOrderId: source.id, sourceOrderNumber: other.number })

    expect(reply.body.status).toBe("created")
    expect(reply.body.sourceOrderId).toBe(String(source.id))
    expect(sentItems(customer)).toEqual([{ offer: { id: offer.id }, quantity: 2 }])
  })

  it("repeats an excluded-status order", async () => {
    const accountId = "rp-cancelled"
    const customer = boundCustomer(accountId)
    const offer = addOffer("Шампунь rp-cancelled")
    const source = addSourceOrder(customer, [{ quantity: 1, offer: { id: offer.id } }], { status: "no-call" })
    const reply = await repeat({ ...identity(accountId), sourceOrderId: source.id })

    expect(reply.body.status).toBe("created")
    expect(createdFor(customer)).toHaveLength(1)
  })

  it("reports two holders as conflict", async () => {
    const first = boundCustomer("rp-two-holders")
    boundCustomer("rp-two-holders")
    const offer = addOffer("Шампунь rp-two-holders")
    const source = addSourceOrder(first, [{ quantity: 1, offer: { id: offer.id } }])
    const reply = await repeat({ ...identity("rp-two-holders"), sourceOrderId: source.id })

    expect(reply.body.status).toBe("conflict")
    expect(reply.body.errorCode).toBe("binding_conflict")
    expect(sentOrders(first)).toHaveLength(0)
  })

  it("sets the chatbot mark", async () => {
    const accountId = "rp-mark"
    const { customer, source } = customerWithOrder(accountId)
    await repeat({ ...identity(accountId), sourceOrderId: source.id })

    expect(stack.crm.customer(customer.id)?.customFields.chatbot_interacted).toBe(true)
  })
})

describe("repeat order payload", () => {
  it("sends a fresh number", async () => {
    const accountId = "rp-fresh-number"
    const { customer, source } = customerWithOrder(accountId)
    const reply = await repeat({ ...identity(accountId), sourceOrderId: source.id })
    const sent = onlySentOrder(customer)

    expect(sent.number).toMatch(newNumberPattern)
    expect(sent.number).toBe(reply.body.newOrderNumber)
    expect(sent.number).not.toContain(source.number)
    expect(sent.number).not.toContain(source.number.replace(/\D/g, ""))
  })

  it("sends status new", async () => {
    const accountId = "rp-status-new"
    const { customer, source } = customerWithOrder(accountId)
    await repeat({ ...identity(accountId), sourceOrderId: source.id })
    const sent = onlySentOrder(customer)

    expect(sent.status).toBe("new")
    expect(createdFor(customer)[0]?.status).toBe("new")
  })

  it("sends the customer reference", async () => {
    const accountId = "rp-customer-ref"
    const { customer, source } = customerWithOrder(accountId)
    await repeat({ ...identity(accountId), sourceOrderId: source.id })

    expect(onlySentOrder(customer).customer).toEqual({ id: customer.id })
  })

  it("copies the source's contact", async () => {
    const accountId = "rp-contact"
    const { customer, source } = customerWithOrder(accountId)
    await repeat({ ...identity(accountId), sourceOrderId: source.id })
    const sent = onlySentOrder(customer)

    expect(sent.firstName).toBe("Анна")
    expect(sent.lastName).toBe("Примерова")
    expect(sent.phone).toBe("+7 900 000-00-81")
    expect(sent.email).toBe("anna.primerova@example.com")
    expect(source.firstName).toBe("Анна")
  })

  it("leaves out an invalid email", async () => {
    const accountId = "rp-bad-email"
    const customer = boundCustomer(accountId)
    const offer = addOffer("Шампунь rp-bad-email")
    const source = addSourceOrder(customer, [{ quantity: 1, offer: { id: offer.id } }], { email: "anna at example" })
    const reply = await repeat({ ...identity(accountId), sourceOrderId: source.id })
    const sent = onlySentOrder(customer)

    expect(reply.body.status).toBe("created")
    expect(sent).not.toHaveProperty("email")
    expect(sent.firstName).toBe("Анна")
  })

  it("copies the delivery address only", async () => {
    const accountId = "rp-address"
    const { customer, source } = customerWithOrder(accountId)
    await repeat({ ...identity(accountId), sourceOrderId: source.id })
    const sent = onlySentOrder(customer)

    expect(sent.delivery).toEqual({ address })
    expect(sent.delivery).not.toHaveProperty("code")
    expect(JSON.stringify(sent)).not.toContain("pr-rs")
    expect(sent.delivery).not.toHaveProperty("cost")
  })

  it("sends offers and quantities only", async () => {
    const accountId = "rp-items"
    const customer = boundCustomer(accountId)
    const first = addOffer("Шампунь rp-items")
    const second = addOffer("Бальзам rp-items")
    const source = addSourceOrder(customer, [
      { quantity: 2, initialPrice: 990, offer: { id: first.id } },
      { quantity: 1, initialPrice: 450, offer: { id: second.id } }
    ])
    await repeat({ ...identity(accountId), sourceOrderId: source.id })

    expect(sentItems(customer)).toEqual([
      { offer: { id: first.id }, quantity: 2 },
      { offer: { id: second.id }, quantity: 1 }
    ])
  })

  it("merges lines of one offer", async () => {
    const accountId = "rp-merge"
    const customer = boundCustomer(accountId)
    const offer = addOffer("Шампунь rp-merge")
    const other = addOffer("Бальзам rp-merge")
    const source = addSourceOrder(customer, [
      { quantity: 1, offer: { id: offer.id } },
      { quantity: 1, offer: { id: other.id } },
      { quantity: 2, offer: { id: offer.id } }
    ])
    await repeat({ ...identity(accountId), sourceOrderId: source.id })
    const created = createdFor(customer)

    expect(sentItems(customer)).toEqual([
      { offer: { id: offer.id }, quantity: 3 },
      { offer: { id: other.id }, quantity: 1 }
    ])
    expect(created[0]?.items.map((item) => [item.offer?.id, item.quantity])).toEqual([
      [offer.id, 3],
      [other.id, 1]
    ])
  })

  it("sends externalId and xmlId references", async () => {
    const accountId = "rp-references"
    const customer = boundCustomer(accountId)
    const byExternal = addOffer("Шампунь rp-references", { externalId: "rp-ext-1" })
    const byXml = addOffer("Бальзам rp-references", { xmlId: "rp-xml-1" })
    const source = addSourceOrder(customer, [
      { quantity: 1, productName: "Шампунь rp-references", offer: offerReference({ externalId: "rp-ext-1" }) },
      { quantity: 4, productName: "Бальзам rp-references", offer: offerReference({ xmlId: "rp-xml-1" }) }
    ])
    const reply = await repeat({ ...identity(accountId), sourceOrderId: source.id })

    expect(reply.body.status).toBe("created")
    expect(onlySentOrder(customer).items).toEqual([
      { offer: { externalId: "rp-ext-1" }, quantity: 1 },
      { offer: { xmlId: "rp-xml-1" }, quantity: 4 }
    ])
    expect(createdFor(customer)[0]?.items.map((item) => item.offer?.id)).toEqual([byExternal.id, byXml.id])
  })

  it("sends no prices", async () => {
    const accountId = "rp-no-prices"
    const { customer, source } = customerWithOrder(accountId)
    await repeat({ ...identity(accountId), sourceOrderId: source.id })
    const items = onlySentOrder(customer).items ?? []

    expect(items).toHaveLength(1)
    for (const item of items) {
      expect(item).not.toHaveProperty("initialPrice")
      expect(item).not.toHaveProperty("prices")
      expect(item).not.toHaveProperty("purchasePrice")
    }
  })

  it("sends no manager or old status", async () => {
    const accountId = "rp-no-manager"
    const { customer, source } = customerWithOrder(accountId)
    await repeat({ ...identity(accountId), sourceOrderId: source.id })
    const sent = onlySentOrder(customer)
    const text = JSON.stringify(sent)

    expect(sent).not.toHaveProperty("managerId")
    expect(sent).not.toHaveProperty("manager")
    expect(sent.status).not.toBe(source.status)
    expect(text).not.toContain('"complete"')
    expect(createdFor(customer)[0]).not.toHaveProperty("managerId")
  })

  it("sends the source's site", async () => {
    const accountId = "rp-site"
    const { customer, source } = customerWithOrder(accountId)
    await repeat({ ...identity(accountId), sourceOrderId: source.id })
    const sent = sentOrders(customer)

    expect(sent).toHaveLength(1)
    expect(sent[0]?.site).toBe("shop-two")
    expect(createdFor(customer)[0]?.site).toBe(source.site)
  })

  it("writes the default comment", async () => {
    const accountId = "rp-comment"
    const { customer, source } = customerWithOrder(accountId)
    await repeat({ ...identity(accountId), sourceOrderId: source.id })
    const comment = onlySentOrder(customer).customerComment

    expect(comment).toBe(`Повтор заказа ${source.number} из чат-бота`)
    expect(createdFor(customer)[0]?.customerComment).toBe(comment)
  })

  it("sends no order type by default", async () => {
    const accountId = "rp-no-type"
    const { customer, source } = customerWithOrder(accountId)
    await repeat({ ...identity(accountId), sourceOrderId: source.id })
    const sent = onlySentOrder(customer)

    expect(sent).not.toHaveProperty("orderType")
    expect(sent).not.toHaveProperty("orderMethod")
  })

  it("reads [] delivery as absent", async () => {
    const accountId = "rp-empty-delivery"
    const customer = boundCustomer(accountId)
    const offer = addOffer("Шампунь rp-empty-delivery")
    const source = addSourceOrder(customer, [{ quantity: 1, offer: { id: offer.id } }], {
      delivery: [],
      customFields: {}
    })
    const wire = await fetch(`${stack.crm.url}/api/v5/orders/${source.id}?by=id`, {
      headers: { "X-API-KEY": crmApiKey }
    })
    const wireOrder = ((await wire.json()) as { order: Record<string, unknown> }).order

    // The emulator sends empty maps as RetailCRM does.
    expect(wireOrder.delivery).toEqual([])
    expect(wireOrder.customFields).toEqual([])

    const reply = await repeat({ ...identity(accountId), sourceOrderId: source.id })

    expect(reply.body.status).toBe("created")
    expect(onlySentOrder(customer)).not.toHaveProperty("delivery")
  })

  it("reads [] address as absent", async () => {
    const accountId = "rp-empty-address"
    const customer = boundCustomer(accountId)
    const offer = addOffer("Шампунь rp-empty-address")
    const source = addSourceOrder(customer, [{ quantity: 1, offer: { id: offer.id } }], {
      delivery: { code: "pr-rs", address: [], data: [] }
    })
    const reply = await repeat({ ...identity(accountId), sourceOrderId: source.id })

    expect(reply.body.status).toBe("created")
    expect(onlySentOrder(customer)).not.toHaveProperty("delivery")
  })

  it("reads [] customer fields", async () => {
    const accountId = "rp-empty-fields"
    const customer = boundCustomer(accountId)
    const owner = stack.crm.addCustomer({ phones: [{ number: "+7 900 000-00-84" }] })
    const offer = addOffer("Шампунь rp-empty-fields")
    const source = addSourceOrder(owner, [{ quantity: 1, offer: { id: offer.id } }])
    // The source's embedded customer has no custom fields, so it arrives with `customFields: []`.
    const reply = await repeat({ ...identity(accountId), sourceOrderId: source.id })

    expect(reply.body.status).toBe("not_found")
    expect(reply.body.errorCode).toBe("order_not_found")
    expect(sentOrders(customer)).toHaveLength(0)
  })
})

describe("repeat with order settings", () => {
  it("sends orderType and orderMethod", async () => {
    const accountId = "rp-type-method"
    const { customer, source } = customerWithOrder(accountId, configured)
    const reply = await repeatOn(configured, { ...identity(accountId), sourceOrderId: source.id })
    const sent = onlySentOrder(customer, configured)

    expect(reply.body.status).toBe("created")
    expect(sent.orderType).toBe("eshop-individual")
    expect(sent.orderMethod).toBe("messenger")
    expect(createdFor(customer, configured)[0]?.orderType).toBe("eshop-individual")
  })

  it("prefers the source's site", async () => {
    const accountId = "rp-site-over-default"
    const { customer, source } = customerWithOrder(accountId, configured)
    const reply = await repeatOn(configured, { ...identity(accountId), sourceOrderId: source.id })
    const sent = sentOrders(customer, configured)

    expect(reply.body.status).toBe("created")
    expect(sent).toHaveLength(1)
    expect(sent[0]?.site).toBe("shop-two")
  })

  it("fills the comment placeholders", async () => {
    const accountId = "rp-template"
    const { customer, source } = customerWithOrder(accountId, configured)
    await repeatOn(configured, { ...identity(accountId), sourceOrderId: source.id })

    expect(onlySentOrder(customer, configured).customerComment).toBe(
      `Повтор ${source.number} (id ${source.id}) из telegram`
    )
  })

  it("uses the number prefix and suffix", async () => {
    const accountId = "rp-number-format"
    const { customer, source } = customerWithOrder(accountId, configured)
    const reply = await repeatOn(configured, { ...identity(accountId), sourceOrderId: source.id })

    expect(reply.body.newOrderNumber).toMatch(/^TG\d{8}-R$/)
    expect(onlySentOrder(customer, configured).number).toBe(reply.body.newOrderNumber)
    expect(reply.body.text).toBe(createdText(String(reply.body.newOrderNumber)))
  })

  it("creates again without a window", async () => {
    const accountId = "rp-no-window"
    const { customer, source } = customerWithOrder(accountId, configured)
    const first = await repeatOn(configured, { ...identity(accountId), sourceOrderId: source.id })
    const second = await repeatOn(configured, { ...identity(accountId), sourceOrderId: source.id })

    expect(first.body.status).toBe("created")
    expect(second.body.status).toBe("created")
    expect(second.body.newOrderNumber).not.toBe(first.body.newOrderNumber)
    expect(createdFor(customer, configured)).toHaveLength(2)
  })
})

describe("repeat with taken numbers", () => {
  it("retries a taken number", async () => {
    const accountId = "rp-number-taken"
    const { customer, source } = customerWithOrder(accountId)
    stack.crm.injectFault({
      path: createPath,
      method: "POST",
      status: 400,
      body: duplicateNumberBody("CHT00000000-BOT")
    })
    const reply = await repeat({ ...identity(accountId), sourceOrderId: source.id })
    const numbers = sentOrders(customer).map((sent) => sent.order.number)
    const created = createdFor(customer)

    expect(reply.body.status).toBe("created")
    expect(numbers).toHaveLength(2)
    expect(numbers[0]).toMatch(newNumberPattern)
    expect(numbers[1]).toMatch(newNumberPattern)
    expect(numbers[1]).not.toBe(numbers[0])
    expect(created).toHaveLength(1)
    expect(created[0]?.number).toBe(numbers[1])
    expect(reply.body.newOrderNumber).toBe(numbers[1])
  })

  it("retries twice, then succeeds", async () => {
    const accountId = "rp-number-taken-twice"
    const { customer, source } = customerWithOrder(accountId)
    stack.crm.injectFault({
      path: createPath,
      method: "POST",
      status: 400,
      body: duplicateNumberBody("CHT00000000-BOT"),
      times: 2
    })
    const reply = await repeat({ ...identity(accountId), sourceOrderId: source.id })

    expect(reply.body.status).toBe("created")
    expect(sentOrders(customer)).toHaveLength(3)
    expect(createdFor(customer)).toHaveLength(1)
  })
})

describe("repeat with unavailable items", () => {
  const unavailableCases: ReadonlyArray<{ readonly name: string; readonly offer: OfferInput }> = [
    { name: "inactive offer", offer: { active: false } },
    { name: "offer out of stock", offer: { quantity: 0 } }
  ]

  for (const { name, offer: offerInput } of unavailableCases) {
    it(`reports an ${name}`, async () => {
      const accountId = `rp-${name.replaceAll(" ", "-")}`
      const customer = boundCustomer(accountId)
      const offer = addOffer(`Сыворотка ${accountId}`, offerInput)
      const source = addSourceOrder(customer, [{ quantity: 1, offer: { id: offer.id } }])
      const reply = await repeat({ ...identity(accountId), sourceOrderId: source.id })

      expect(Object.keys(reply.body).sort()).toEqual([...replyKeys].sort())
      expect(reply.body).toEqual({
        status: "unavailable_item",
        customerId: String(customer.id),
        sourceOrderId: String(source.id),
        sourceOrderNumber: source.number,
        newOrderId: null,
        newOrderNumber: null,
        unavailableItemName: `Сыворотка ${accountId}`,
        text: null,
        errorCode: "item_unavailable",
        message: unavailableMessage
      })
      expect(sentOrders(customer)).toHaveLength(1)
      expect(createdFor(customer)).toHaveLength(0)
    })
  }

  it("reports a deleted offer", async () => {
    const accountId = "rp-deleted-offer"
    const customer = boundCustomer(accountId)
    const source = addSourceOrder(customer, [
      { quantity: 1, offer: { id: 999_991, name: "Снятая сыворотка", displayName: "Снятая сыворотка 30 мл" } }
    ])
    const reply = await repeat({ ...identity(accountId), sourceOrderId: source.id })

    expect(reply.body.status).toBe("unavailable_item")
    expect(reply.body.errorCode).toBe("item_unavailable")
    expect(reply.body.unavailableItemName).toBe("Снятая сыворотка 30 мл")
    expect(reply.body.text).toBeNull()
    expect(createdFor(customer)).toHaveLength(0)
  })

  it("names the rejected line", async () => {
    const accountId = "rp-second-line"
    const customer = boundCustomer(accountId)
    const available = addOffer("Шампунь rp-second-line")
    const inactive = addOffer("Сыворотка rp-second-line", { active: false })
    const source = addSourceOrder(customer, [
      { quantity: 1, offer: { id: available.id } },
      { quantity: 1, offer: { id: inactive.id } }
    ])
    const reply = await repeat({ ...identity(accountId), sourceOrderId: source.id })

    expect(reply.body.status).toBe("unavailable_item")
    expect(reply.body.unavailableItemName).toBe("Сыворотка rp-second-line")
    expect(createdFor(customer)).toHaveLength(0)
  })

  it("names a line by offer id", async () => {
    const accountId = "rp-unindexed"
    const customer = boundCustomer(accountId)
    const available = addOffer("Шампунь rp-unindexed")
    const missing = addOffer("Сыворотка rp-unindexed")
    const source = addSourceOrder(customer, [
      { quantity: 1, offer: { id: available.id } },
      { quantity: 1, offer: { id: missing.id } }
    ])
    stack.crm.injectFault({
      path: createPath,
      method: "POST",
      status: 400,
      body: JSON.stringify({
        success: false,
        errorMsg: "Order is not loaded",
        errors: { offer: `Offer with id=${missing.id} not found.` }
      })
    })
    const reply = await repeat({ ...identity(accountId), sourceOrderId: source.id })

    expect(reply.body.status).toBe("unavailable_item")
    expect(reply.body.unavailableItemName).toBe("Сыворотка rp-unindexed")
    expect(createdFor(customer)).toHaveLength(0)
  })

  it("reports a free-text line", async () => {
    const accountId = "rp-free-text"
    const customer = boundCustomer(accountId)
    const offer = addOffer("Шампунь rp-free-text")
    const source = addSourceOrder(customer, [
      { quantity: 1, offer: { id: offer.id } },
      { quantity: 1, productName: "Подарочная упаковка", initialPrice: 100 }
    ])
    const reply = await repeat({ ...identity(accountId), sourceOrderId: source.id })

    expect(Object.keys(reply.body).sort()).toEqual([...replyKeys].sort())
    expect(reply.body).toEqual({
      status: "unavailable_item",
      customerId: String(customer.id),
      sourceOrderId: String(source.id),
      sourceOrderNumber: source.number,
      newOrderId: null,
      newOrderNumber: null,
      unavailableItemName: "Подарочная упаковка",
      text: null,
      errorCode: "item_unavailable",
      message: unavailableMessage
    })
    expect(sentOrders(customer)).toHaveLength(0)
    expect(createdFor(customer)).toHaveLength(0)
  })
})

describe("repeat with transient failures", () => {
  for (const status of [503, 429]) {
    it(`retries once after ${status}`, async () => {
      const accountId = `rp-${status}-once`
      const { customer, source } = customerWithOrder(accountId)
      stack.crm.injectFault({ path: createPath, method: "POST", status, body: "<html>Too busy</html>" })
      const reply = await repeat({ ...identity(accountId), sourceOrderId: source.id })
      const created = createdFor(customer)

      expect(reply.body.status).toBe("created")
      expect(sentOrders(customer)).toHaveLength(2)
      expect(created).toHaveLength(1)
      expect(reply.body.newOrderNumber).toBe(created[0]?.number)
    })
  }

  it("retries after a 500 miss", async () => {
    const accountId = "rp-500-miss"
    const { customer, source } = customerWithOrder(accountId)
    stack.crm.injectFault({ path: createPath, method: "POST", status: 500, body: "<html>Internal Server Error</html>" })
    const reply = await repeat({ ...identity(accountId), sourceOrderId: source.id })
    const numbers = sentOrders(customer).map((sent) => sent.order.number)
    const created = createdFor(customer)

    expect(reply.body.status).toBe("created")
    expect(numberLookups()).toContain(numbers[0])
    expect(numbers).toHaveLength(2)
    expect(numbers[1]).toBe(numbers[0])
    expect(created).toHaveLength(1)
  })

  it("hands off after two 503s", async () => {
    const accountId = "rp-503-twice"
    const { customer, source } = customerWithOrder(accountId)
    stack.crm.injectFault({
      path: createPath,
      method: "POST",
      status: 503,
      body: "<html>Service Unavailable</html>",
      times: 2
    })
    const reply = await repeat({ ...identity(accountId), sourceOrderId: source.id })

    expect(Object.keys(reply.body).sort()).toEqual([...replyKeys].sort())
    expect(reply.body).toEqual({
      status: "error",
      customerId: String(customer.id),
      sourceOrderId: String(source.id),
      sourceOrderNumber: source.number,
      newOrderId: null,
      newOrderNumber: null,
      unavailableItemName: null,
      text: handOffText,
      errorCode: "order_create_failed",
      message: createFailedMessage
    })
    expect(sentOrders(customer)).toHaveLength(2)
    expect(createdFor(customer)).toHaveLength(0)
  })

  const lostReplies: ReadonlyArray<{ readonly name: string; readonly fault: Fault }> = [
    { name: "500", fault: { status: 500, body: "<html>Internal Server Error</html>" } },
    { name: "dropped connection", fault: { dropConnection: true } }
  ]

  for (const { name, fault } of lostReplies) {
    it(`finds the order after ${name}`, async () => {
      const accountId = `rp-lost-${name.replaceAll(" ", "-")}`
      const { customer, source } = customerWithOrder(accountId)
      stack.crm.injectFault({
        path: createPath,
        method: "POST",
        afterEffect: true,
        ...fault
      })
      const reply = await repeat({ ...identity(accountId), sourceOrderId: source.id })
      const created = createdFor(customer)

      expect(reply.body.status).toBe("created")
      expect(created).toHaveLength(1)
      expect(reply.body.newOrderNumber).toBe(created[0]?.number)
      expect(reply.body.newOrderId).toBe(String(created[0]?.id))
      expect(reply.body.text).toBe(createdText(String(created[0]?.number)))
      expect(numberLookups()).toContain(created[0]?.number)
    })
  }
})

describe("repeat after a timeout", () => {
  it("finds the order it created", async () => {
    const accountId = "rp-timeout-created"
    const { customer, source } = customerWithOrder(accountId, configured)
    configured.crm.injectFault({ path: createPath, method: "POST", afterEffect: true, delayMs: 1500 })
    const reply = await repeatOn(configured, { ...identity(accountId), sourceOrderId: source.id })
    const created = createdFor(customer, configured)

    expect(reply.body.status).toBe("created")
    expect(created).toHaveLength(1)
    expect(reply.body.newOrderNumber).toBe(created[0]?.number)
    expect(sentOrders(customer, configured)).toHaveLength(1)
    expect(numberLookups(configured)).toContain(created[0]?.number)
  })

  it("retries when nothing was created", async () => {
    const accountId = "rp-timeout-retry"
    const { customer, source } = customerWithOrder(accountId, configured)
    configured.crm.injectFault({ path: createPath, method: "POST", delayMs: 1500 })
    const reply = await repeatOn(configured, { ...identity(accountId), sourceOrderId: source.id })
    // The emulator would apply the abandoned first create when its delay ends, unless the service hung up.
    await sleep(1500)
    const created = createdFor(customer, configured)
    const numbers = sentOrders(customer, configured).map((sent) => sent.order.number)

    expect(reply.body.status).toBe("created")
    expect(created).toHaveLength(1)
    expect(numbers).toHaveLength(2)
    expect(numbers[1]).toBe(numbers[0])
    expect(reply.body.newOrderNumber).toBe(created[0]?.number)
  })
})

describe("repeat dedup", () => {
  it("returns the first order again", async () => {
    const accountId = "rp-dedup"
    const { customer, source } = customerWithOrder(accountId)
    const first = await repeat({ ...identity(accountId), sourceOrderId: source.id })
    const second = await repeat({ ...identity(accountId), sourceOrderId: source.id }, "json")

    expect(first.body.status).toBe("created")
    expect(second.body).toEqual(first.body)
    expect(createdFor(customer)).toHaveLength(1)
    expect(sentOrders(customer)).toHaveLength(1)
  })

  it("dedups a repeat by number", async () => {
    const accountId = "rp-dedup-number"
    const { customer, source } = customerWithOrder(accountId)
    const first = await repeat({ ...identity(accountId), sourceOrderId: source.id })
    const second = await repeat({ ...identity(accountId), sourceOrderNumber: source.number })

    expect(second.body.status).toBe("created")
    expect(second.body.newOrderNumber).toBe(first.body.newOrderNumber)
    expect(createdFor(customer)).toHaveLength(1)
  })

  it("creates one order for a double tap", async () => {
    const accountId = "rp-double-tap"
    const { customer, source } = customerWithOrder(accountId)
    const [first, second] = await Promise.all([
      repeat({ ...identity(accountId), sourceOrderId: source.id }),
      repeat({ ...identity(accountId), sourceOrderId: source.id }, "json")
    ])

    expect(first.body.status).toBe("created")
    expect(second.body.status).toBe("created")
    expect(second.body.newOrderNumber).toBe(first.body.newOrderNumber)
    expect(second.body.newOrderId).toBe(first.body.newOrderId)
    expect(createdFor(customer)).toHaveLength(1)
  })

  it("keeps source orders apart", async () => {
    const accountId = "rp-two-sources"
    const { customer, offer, source } = customerWithOrder(accountId)
    const other = addSourceOrder(customer, [{ quantity: 1, offer: { id: offer.id } }])
    const first = await repeat({ ...identity(accountId), sourceOrderId: source.id })
    const second = await repeat({ ...identity(accountId), sourceOrderId: other.id })

    expect(first.body.status).toBe("created")
    expect(second.body.status).toBe("created")
    expect(second.body.newOrderNumber).not.toBe(first.body.newOrderNumber)
    expect(createdFor(customer)).toHaveLength(2)
  })
})

describe("repeat call budget", () => {
  const sources: ReadonlyArray<"sourceOrderId" | "sourceOrderNumber"> = ["sourceOrderId", "sourceOrderNumber"]

  for (const field of sources) {
    it(`makes three CRM calls (${field})`, async () => {
      const accountId = `rp-budget-${field}`
      const { customer, source } = customerWithOrder(accountId)
      // The status records the chatbot mark, so the repeat itself writes no mark.
      const status = await get(stack.url, "/auth/status", identity(accountId))

      expect(status.body.status).toBe("authorized")
      const before = stack.crm.requests.length
      const reply = await repeat({
        ...identity(accountId),
        [field]: field === "sourceOrderId" ? source.id : source.number
      })
      const calls = stack.crm.requests.slice(before)

      expect(reply.body.status).toBe("created")
      expect(calls.length).toBeLessThanOrEqual(3)
      expect(calls.filter((request) => request.path === createPath)).toHaveLength(1)
      expect(createdFor(customer)).toHaveLength(1)
    })
  }
})
