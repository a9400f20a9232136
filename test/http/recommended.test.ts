import { randomUUID } from "node:crypto"
import { writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@effect/vitest"
import type { Customer, Product } from "../emulators/retailcrm.js"
import type { BotReply, Encoding, Fields } from "../support/client.js"
import { encodings, post, sleep, tempDatabase } from "../support/client.js"
import { Stack } from "../support/stack.js"

const bindingField = "bot_telegram_account_id"
const createPath = "/api/v5/orders/create"
const customerCreatePath = "/api/v5/customers/create"
const defaultStatus = "ruchnaia-obrabotka"

const basicCode = "male_hairloss_basic"
const basicArticle = "SET-M-BASIC"
const basicTitle = "Базовый набор против выпадения волос для мужчин"
const basicText =
  "Базовый набор против выпадения волос для мужчин\n\nВ наборе:\n• Миноксидил 5%, 60 мл\n• Шампунь с кофеином, 250 мл\n• Биотин 10 000 мкг, 60 капсул\n\nОформляем заказ?"
const basicComment = "Заказ создан чат-ботом по рекомендации: male_hairloss_basic"
const femaleCode = "female_hairloss_basic"
// In the emulator the beard set's article names a product with two active offers, and the scalp set's
// article appears only inside a longer one, so neither resolves.
const beardCode = "beard_growth"
const scalpCode = "scalp_care"

const unknownOfferMessage = "Этот набор сейчас недоступен."
const productNotFoundMessage = "Этот набор сейчас недоступен. Напишите менеджеру, он подберёт замену."
const sessionGoneMessage = "Код устарел. Запросите новый."
const createFailedMessage = "Не получилось оформить заказ. Мы уже передали запрос менеджеру."
const handOffText =
  "Не получилось оформить заказ автоматически. Мы уже передали запрос менеджеру — он скоро свяжется с вами."
const createdText = (orderNumber: string) =>
  `Заказ оформлен! 👍\n\nНомер вашего заказа: ${orderNumber}\n\nПока что мы не можем оформить оплату через бота, поэтому придётся подключить менеджера. Уже спешим на помощь! 🦸\n\nА если хотите что-то поменять, то можете пока написать, что нужно скорректировать, мы обязательно поможем.`

/** Field names of each reply. A reply must have exactly these. */
const replyKeys = {
  preview: ["status", "offerCode", "title", "text", "authorized", "customerId", "errorCode", "message"],
  create: ["status", "customerId", "offerCode", "newOrderId", "newOrderNumber", "text", "errorCode", "message"],
  start: ["status", "sessionId", "maskedPhone", "retryAfterSec", "offerCode", "errorCode", "message"],
  check: [
    "status",
    "authorized",
    "customerId",
    "offerCode",
    "newOrderId",
    "newOrderNumber",
    "text",
    "errorCode",
    "message"
  ]
} as const

const keysOf = (reply: BotReply) => Object.keys(reply.body).sort()
const sortedKeys = (endpoint: keyof typeof replyKeys) => [...replyKeys[endpoint]].sort()

// Custom catalogue of the `configured` stack.
const testSet = {
  offerCode: "test_set",
  bundleArticle: "SET-TEST",
  title: "Тестовый набор",
  components: ["Компонент один", "Компонент два"]
}

/** Catalogue entries the emulator created for the sets that resolve. */
interface Catalogue {
  readonly basicOfferId: number
  readonly femaleOfferId: number
  readonly testProduct: Product
}

let stack: Stack
let catalogue: Catalogue
// Codes live one second here.
let shortLived: Stack
// Its own catalogue file, order site and status, and resolved offers cached for a millisecond only.
let configured: Stack
let configuredCatalogue: Catalogue

/** Adds the default order status and a product for each set, as described next to the set codes above. */
const seed = (target: Stack): Catalogue => {
  target.crm.addStatus({ code: defaultStatus, name: "Ручная обработка", group: "new" })
  const basic = target.crm.addProduct({
    name: "Мужской набор базовый",
    article: basicArticle,
    offers: [{ name: "Мужской набор базовый", article: basicArticle, quantity: 50 }]
  })
  // Resolved by the product's article, because its only active offer has no article of its own.
  const female = target.crm.addProduct({
    name: "Женский набор базовый",
    article: "SET-F-BASIC",
    offers: [{ name: "Женский набор базовый" }, { name: "Женский набор (снят)", active: false }]
  })
  target.crm.addProduct({
    name: "Набор для бороды",
    article: "SET-BEARD",
    offers: [
      { name: "Набор для бороды S", article: "SET-BEARD-S" },
      { name: "Набор для бороды L", article: "SET-BEARD-L" }
    ]
  })
  target.crm.addProduct({
    name: "Уход XL",
    article: "SET-SCALP-XL",
    offers: [{ name: "Уход XL", article: "SET-SCALP-XL" }]
  })
  const testProduct = target.crm.addProduct({
    name: "Тестовый набор",
    article: testSet.bundleArticle,
    offers: [{ name: "Тестовый набор", article: testSet.bundleArticle }]
  })
  return {
    basicOfferId: basic.offers[0]?.id ?? 0,
    femaleOfferId: female.offers[0]?.id ?? 0,
    testProduct
  }
}

beforeAll(async () => {
  const offersPath = join(dirname(tempDatabase()), "recommended-offers.json")
  writeFileSync(offersPath, JSON.stringify({ offers: [testSet] }))

  stack = await Stack.start({ sqlitePath: tempDatabase() })
  shortLived = await Stack.start({ sqlitePath: tempDatabase(), env: { OTP_TTL_SECONDS: "1" } })
  configured = await Stack.start({
    sqlitePath: tempDatabase(),
    env: {
      RECOMMENDED_OFFERS_PATH: offersPath,
      RECOMMENDED_ORDER_SITE: "test-shop",
      RECOMMENDED_ORDER_STATUS: "client-confirmed",
      REFERENCE_CACHE_TTL_SECONDS: "0.001"
    }
  })
  catalogue = seed(stack)
  seed(shortLived)
  configuredCatalogue = seed(configured)
})

afterEach(() => {
  for (const target of [stack, shortLived, configured]) target.crm.clearFaults()
})

afterAll(() => Promise.all([stack?.close(), shortLived?.close(), configured?.close()]))

const identity = (accountId: string) => ({ channelType: "telegram", messengerUserId: accountId })

const maskedPhone = (digits: string) => `+7 900 ***-**-${digits.slice(-2)}`

const previewOn = (target: Stack, fields: Fields, encoding: Encoding = "form") =>
  post(target.url, "/orders/recommended/preview", fields, encoding)
const createOn = (target: Stack, fields: Fields, encoding: Encoding = "form") =>
  post(target.url, "/orders/recommended/create", fields, encoding)
const startOn = (target: Stack, fields: Fields, encoding: Encoding = "form") =>
  post(target.url, "/orders/recommended/start", fields, encoding)
const checkOn = (target: Stack, fields: Fields, encoding: Encoding = "form") =>
  post(target.url, "/orders/recommended/check", fields, encoding)

interface Session {
  readonly sessionId: string
  readonly code: string
}

/** Starts a session for a set (the basic one unless `fields` name another) and returns it with its code. */
const startSession = async (
  target: Stack,
  digits: string,
  accountId: string,
  fields: Fields = {}
): Promise<Session> => {
  const reply = await startOn(target, { ...identity(accountId), offerCode: basicCode, phone: `+${digits}`, ...fields })
  expect(reply.body.status).toBe("sent")
  return { sessionId: String(reply.body.sessionId), code: target.greenSms.lastCodeTo(digits) ?? "" }
}

const checkAs = (target: Stack, accountId: string, session: Session, code: string = session.code) =>
  checkOn(target, { ...identity(accountId), sessionId: session.sessionId, code })

/** The same number of digits, each one different from the code's. */
const wrongCode = (code: string) => code.replace(/\d/g, (digit) => String((Number(digit) + 1) % 10))

/** Adds a customer whose Telegram field contains `accountId`. */
const boundCustomer = (target: Stack, accountId: string, fields: Partial<Customer> = {}) =>
  target.crm.addCustomer({
    firstName: "Пётр",
    lastName: "Тестов",
    email: "petr.testov@example.com",
    phones: [{ number: "8 (900) 000-00-99" }],
    customFields: { [bindingField]: accountId },
    ...fields
  })

const ordersOf = (target: Stack, customerId: number) =>
  target.crm.createdOrders().filter((order) => order.customer.id === customerId)

const createRequests = (target: Stack) =>
  target.crm.requests.filter((request) => request.method === "POST" && request.path === createPath)

interface SentOrder {
  readonly site: string | null
  readonly order: Record<string, unknown>
}

/** The order creates RetailCRM received for this customer, oldest first. */
const sentOrders = (target: Stack, customerId: number): SentOrder[] =>
  createRequests(target)
    .map((request) => ({
      site: request.form?.get("site") ?? null,
      order: JSON.parse(request.form?.get("order") ?? "{}") as Record<string, unknown>
    }))
    .filter((sent) => (sent.order.customer as { id?: unknown } | undefined)?.id === customerId)

/** Customers in RetailCRM whose phone is stored exactly as `+` and these digits. */
const customersWithPhone = (target: Stack, digits: string) =>
  target.crm.customers().filter((customer) => customer.phones.some((phone) => phone.number === `+${digits}`))

/** The customer creates RetailCRM received for this phone, decoded from the `customer` field. */
const sentCustomers = (target: Stack, digits: string) =>
  target.crm.requests
    .filter((request) => request.method === "POST" && request.path === customerCreatePath)
    .map((request) => ({
      site: request.form?.get("site") ?? null,
      customer: JSON.parse(request.form?.get("customer") ?? "{}") as Record<string, unknown>
    }))
    .filter((sent) => JSON.stringify(sent.customer.phones ?? []).includes(`+${digits}`))

const messagesTo = (target: Stack, digits: string) =>
  target.greenSms.messages.filter((message) => message.to === digits)

const statuses = (replies: ReadonlyArray<BotReply>) => replies.map((reply) => reply.body.status)

// RetailCRM's reply to an order with an inactive offer, as the emulator sends it for a deactivated product.
const offerUnavailableBody = (offerId: number) =>
  JSON.stringify({
    success: false,
    errorMsg: "Order is not loaded",
    errors: { "items[0].offer": `Offer with id=${offerId} is not available.` }
  })

describe("POST /orders/recommended/preview", () => {
  for (const encoding of encodings) {
    it(`describes a set (${encoding})`, async () => {
      const reply = await previewOn(stack, { offerCode: basicCode }, encoding)

      expect(reply.httpStatus).toBe(200)
      expect(keysOf(reply)).toEqual(sortedKeys("preview"))
      expect(reply.body.status).toBe("ok")
      expect(reply.body.offerCode).toBe(basicCode)
      expect(reply.body.title).toBe(basicTitle)
      expect(reply.body.text).toBe(basicText)
      expect(reply.body.authorized).toBe(false)
      expect(reply.body.customerId).toBeNull()
      expect(reply.body.errorCode).toBeNull()
      expect(reply.body.message).toBeNull()
    })
  }

  it("marks a bound account", async () => {
    const customer = boundCustomer(stack, "rec-preview-bound")
    const reply = await previewOn(stack, { ...identity("rec-preview-bound"), offerCode: basicCode }, "json")

    expect(keysOf(reply)).toEqual(sortedKeys("preview"))
    expect(reply.body.status).toBe("ok")
    expect(reply.body.authorized).toBe(true)
    expect(reply.body.customerId).toBe(String(customer.id))
    expect(reply.body.text).toBe(basicText)
  })

  it("reports an unbound account", async () => {
    const reply = await previewOn(stack, { ...identity("rec-preview-unbound"), offerCode: basicCode })

    expect(reply.body.status).toBe("ok")
    expect(reply.body.authorized).toBe(false)
    expect(reply.body.customerId).toBeNull()
  })

  it("reports an unknown offer", async () => {
    const reply = await previewOn(stack, { offerCode: "no_such_set" })

    expect(keysOf(reply)).toEqual(sortedKeys("preview"))
    expect(reply.body.status).toBe("unknown_offer")
    expect(reply.body.offerCode).toBe("no_such_set")
    expect(reply.body.title).toBeNull()
    expect(reply.body.text).toBeNull()
    expect(reply.body.authorized).toBe(false)
    expect(reply.body.errorCode).toBe("unknown_offer")
    expect(reply.body.message).toBe(unknownOfferMessage)
  })

  it("reports a missing offerCode", async () => {
    const reply = await previewOn(stack, { offerCode: "{{offerCode}}" })

    expect(keysOf(reply)).toEqual(sortedKeys("preview"))
    expect(reply.body.status).toBe("unknown_offer")
    expect(reply.body.offerCode).toBeNull()
    expect(reply.body.errorCode).toBe("unknown_offer")
  })

  it("reports a customerId mismatch", async () => {
    const customer = boundCustomer(stack, "rec-preview-mismatch")
    const reply = await previewOn(stack, {
      ...identity("rec-preview-mismatch"),
      customerId: String(customer.id + 1000),
      offerCode: basicCode
    })

    expect(keysOf(reply)).toEqual(sortedKeys("preview"))
    expect(reply.body.status).toBe("conflict")
    expect(reply.body.authorized).toBe(false)
    expect(reply.body.customerId).toBeNull()
    expect(reply.body.errorCode).toBe("customer_mismatch")
    expect(reply.body.message).toBe("Не удалось подтвердить аккаунт. Напишите менеджеру.")
  })

  it("reports an account bound twice", async () => {
    boundCustomer(stack, "rec-preview-twice")
    boundCustomer(stack, "rec-preview-twice")
    const reply = await previewOn(stack, { ...identity("rec-preview-twice"), offerCode: basicCode })

    expect(reply.body.status).toBe("conflict")
    expect(reply.body.errorCode).toBe("binding_conflict")
  })

  it("ignores a customerId without identity", async () => {
    const customer = boundCustomer(stack, "rec-preview-claimed")
    const reply = await previewOn(stack, { customerId: String(customer.id), offerCode: basicCode })

    expect(reply.body.status).toBe("ok")
    expect(reply.body.authorized).toBe(false)
    expect(reply.body.customerId).toBeNull()
  })

  it("reports an unsupported channel", async () => {
    const reply = await previewOn(stack, { channelType: "fax", messengerUserId: "rec-fax", offerCode: basicCode })

    expect(keysOf(reply)).toEqual(sortedKeys("preview"))
    expect(reply.body.status).toBe("error")
    expect(reply.body.errorCode).toBe("unsupported_channel")
    expect(reply.body.message).toBe("Этот мессенджер пока не поддерживается.")
  })

  it("reports an unavailable CRM", async () => {
    stack.crm.injectFault({
      path: "/api/v5/customers",
      method: "GET",
      status: 500,
      body: "<html>down</html>",
      times: 20
    })
    const reply = await previewOn(stack, { ...identity("rec-preview-down"), offerCode: basicCode })

    expect(keysOf(reply)).toEqual(sortedKeys("preview"))
    expect(reply.body.status).toBe("error")
    expect(reply.body.errorCode).toBe("crm_unavailable")
    expect(reply.body.authorized).toBe(false)
  })

  it("reads the configured catalogue", async () => {
    const reply = await previewOn(configured, { offerCode: "test_set" })

    expect(reply.body.status).toBe("ok")
    expect(reply.body.title).toBe("Тестовый набор")
    expect(reply.body.text).toBe("Тестовый набор\n\nВ наборе:\n• Компонент один\n• Компонент два\n\nОформляем заказ?")
  })

  it("forgets the shipped sets when configured", async () => {
    const reply = await previewOn(configured, { offerCode: basicCode })

    expect(reply.body.status).toBe("unknown_offer")
  })
})

describe("POST /orders/recommended/create", () => {
  for (const encoding of encodings) {
    it(`orders a set (${encoding})`, async () => {
      const accountId = `rec-create-${encoding}`
      const customer = boundCustomer(stack, accountId)
      const reply = await createOn(stack, { ...identity(accountId), offerCode: basicCode }, encoding)
      const orders = ordersOf(stack, customer.id)
      const order = orders[0]

      expect(reply.httpStatus).toBe(200)
      expect(keysOf(reply)).toEqual(sortedKeys("create"))
      expect(orders).toHaveLength(1)
      expect(reply.body.status).toBe("created")
      expect(reply.body.customerId).toBe(String(customer.id))
      expect(reply.body.offerCode).toBe(basicCode)
      expect(reply.body.newOrderId).toBe(String(order?.id))
      expect(reply.body.newOrderNumber).toBe(order?.number)
      expect(reply.body.text).toBe(createdText(order?.number ?? ""))
      expect(reply.body.errorCode).toBeNull()
      expect(reply.body.message).toBeNull()
    })
  }

  it("sends the exact CRM payload", async () => {
    const customer = boundCustomer(stack, "rec-create-payload")
    const reply = await createOn(stack, {
      ...identity("rec-create-payload"),
      offerCode: basicCode,
      firstName: "Иван",
      lastName: "Примеров",
      phone: "8 900 000-00-31",
      email: "ivan.primerov@example.com"
    })
    const sent = sentOrders(stack, customer.id)
    const order = sent[0]?.order ?? {}

    expect(reply.body.status).toBe("created")
    expect(sent).toHaveLength(1)
    expect(sent[0]?.site).toBe("1minoxidil-ru")
    expect(Object.keys(order).sort()).toEqual(
      ["customer", "customerComment", "email", "firstName", "items", "lastName", "phone", "status"].sort()
    )
    expect(order.status).toBe(defaultStatus)
    expect(order.customer).toEqual({ id: customer.id })
    expect(order.items).toEqual([{ offer: { id: catalogue.basicOfferId }, quantity: 1 }])
    expect(order.customerComment).toBe(basicComment)
    expect(order.firstName).toBe("Иван")
    expect(order.lastName).toBe("Примеров")
    expect(order.phone).toBe("+79000000031")
    expect(order.email).toBe("ivan.primerov@example.com")
    expect(order).not.toHaveProperty("managerId")
    expect(order).not.toHaveProperty("delivery")
  })

  it("stores the order as sent", async () => {
    const customer = boundCustomer(stack, "rec-create-stored")
    await createOn(stack, { ...identity("rec-create-stored"), offerCode: basicCode })
    const order = ordersOf(stack, customer.id)[0]

    expect(order?.site).toBe("1minoxidil-ru")
    expect(order?.status).toBe(defaultStatus)
    expect(order?.items.map((item) => item.offer?.id)).toEqual([catalogue.basicOfferId])
    expect(order?.items.map((item) => item.quantity)).toEqual([1])
    expect(order?.customerComment).toBe(basicComment)
    expect(order?.managerId).toBeUndefined()
  })

  it("defaults the recipient to the customer", async () => {
    const customer = boundCustomer(stack, "rec-create-own", {
      firstName: "Ольга",
      lastName: "Образцова",
      email: "olga.obraztsova@example.com",
      phones: [{ number: "8 (900) 000-00-32" }]
    })
    await createOn(stack, { ...identity("rec-create-own"), offerCode: basicCode })
    const order = sentOrders(stack, customer.id)[0]?.order ?? {}

    expect(order.firstName).toBe("Ольга")
    expect(order.lastName).toBe("Образцова")
    expect(order.phone).toBe("+79000000032")
    expect(order.email).toBe("olga.obraztsova@example.com")
  })

  it("ignores an invalid typed email", async () => {
    const customer = boundCustomer(stack, "rec-create-bad-email", { email: "own.mail@example.com" })
    await createOn(stack, { ...identity("rec-create-bad-email"), offerCode: basicCode, email: "not-an-email" })
    const order = sentOrders(stack, customer.id)[0]?.order ?? {}

    expect(order.email).toBe("own.mail@example.com")
  })

  it("sends no invalid email", async () => {
    const customer = boundCustomer(stack, "rec-create-no-email", { email: "broken@" })
    const reply = await createOn(stack, {
      ...identity("rec-create-no-email"),
      offerCode: basicCode,
      email: "also broken"
    })
    const order = sentOrders(stack, customer.id)[0]?.order ?? {}

    expect(reply.body.status).toBe("created")
    expect(order).not.toHaveProperty("email")
  })

  it("reports an unbound account", async () => {
    const before = createRequests(stack).length
    const reply = await createOn(stack, { ...identity("rec-create-unbound"), offerCode: basicCode }, "json")

    expect(keysOf(reply)).toEqual(sortedKeys("create"))
    expect(reply.body.status).toBe("not_authorized")
    expect(reply.body.customerId).toBeNull()
    expect(reply.body.offerCode).toBe(basicCode)
    expect(reply.body.newOrderId).toBeNull()
    expect(reply.body.text).toBeNull()
    expect(reply.body.errorCode).toBeNull()
    expect(reply.body.message).toBeNull()
    expect(createRequests(stack)).toHaveLength(before)
  })

  it("requires the identity", async () => {
    const customer = boundCustomer(stack, "rec-create-anonymous")
    const reply = await createOn(stack, { customerId: String(customer.id), offerCode: basicCode })

    expect(keysOf(reply)).toEqual(sortedKeys("create"))
    expect(reply.body.status).toBe("error")
    expect(reply.body.errorCode).toBe("missing_identity")
    expect(ordersOf(stack, customer.id)).toHaveLength(0)
  })

  it("reports a customerId mismatch", async () => {
    const customer = boundCustomer(stack, "rec-create-mismatch")
    const reply = await createOn(stack, {
      ...identity("rec-create-mismatch"),
      customerId: String(customer.id + 1000),
      offerCode: basicCode
    })

    expect(keysOf(reply)).toEqual(sortedKeys("create"))
    expect(reply.body.status).toBe("conflict")
    expect(reply.body.errorCode).toBe("customer_mismatch")
    expect(reply.body.newOrderId).toBeNull()
    expect(ordersOf(stack, customer.id)).toHaveLength(0)
  })

  it("reports an unknown offer", async () => {
    const customer = boundCustomer(stack, "rec-create-unknown")
    const reply = await createOn(stack, { ...identity("rec-create-unknown"), offerCode: "no_such_set" })

    expect(keysOf(reply)).toEqual(sortedKeys("create"))
    expect(reply.body.status).toBe("unknown_offer")
    expect(reply.body.offerCode).toBe("no_such_set")
    expect(reply.body.errorCode).toBe("unknown_offer")
    expect(reply.body.message).toBe(unknownOfferMessage)
    expect(ordersOf(stack, customer.id)).toHaveLength(0)
  })

  for (const [offerCode, accountId] of [
    [beardCode, "rec-create-ambiguous"],
    [scalpCode, "rec-create-partial"]
  ] as const) {
    it(`reports product_not_found for ${offerCode}`, async () => {
      const customer = boundCustomer(stack, accountId)
      const reply = await createOn(stack, { ...identity(accountId), offerCode })

      expect(keysOf(reply)).toEqual(sortedKeys("create"))
      expect(reply.body.status).toBe("error")
      expect(reply.body.errorCode).toBe("product_not_found")
      expect(reply.body.message).toBe(productNotFoundMessage)
      expect(reply.body.offerCode).toBe(offerCode)
      expect(reply.body.newOrderId).toBeNull()
      expect(reply.body.text).toBeNull()
      expect(sentOrders(stack, customer.id)).toHaveLength(0)
    })
  }

  it("orders a set by product article", async () => {
    const customer = boundCustomer(stack, "rec-create-female")
    const reply = await createOn(stack, { ...identity("rec-create-female"), offerCode: femaleCode })
    const order = sentOrders(stack, customer.id)[0]?.order ?? {}

    expect(reply.body.status).toBe("created")
    expect(order.items).toEqual([{ offer: { id: catalogue.femaleOfferId }, quantity: 1 }])
    expect(order.customerComment).toBe("Заказ создан чат-ботом по рекомендации: female_hairloss_basic")
  })

  it("returns the first order again", async () => {
    const customer = boundCustomer(stack, "rec-create-twice")
    const fields = { ...identity("rec-create-twice"), offerCode: basicCode }
    const first = await createOn(stack, fields)
    const second = await createOn(stack, fields)

    expect(first.body.status).toBe("created")
    expect(second.body.status).toBe("created")
    expect(second.body.newOrderId).toBe(first.body.newOrderId)
    expect(second.body.newOrderNumber).toBe(first.body.newOrderNumber)
    expect(ordersOf(stack, customer.id)).toHaveLength(1)
  })

  it("returns the order a check created", async () => {
    const session = await startSession(stack, "79000000060", "rec-check-then-create")
    const checked = await checkAs(stack, "rec-check-then-create", session)
    const createdAgain = await createOn(stack, { ...identity("rec-check-then-create"), offerCode: basicCode })

    expect(checked.body.status).toBe("created")
    expect(createdAgain.body.status).toBe("created")
    expect(createdAgain.body.newOrderId).toBe(checked.body.newOrderId)
    expect(ordersOf(stack, Number(checked.body.customerId))).toHaveLength(1)
  })

  it("creates once for simultaneous taps", async () => {
    const customer = boundCustomer(stack, "rec-create-race")
    const fields = { ...identity("rec-create-race"), offerCode: basicCode }
    const replies = await Promise.all([createOn(stack, fields), createOn(stack, fields), createOn(stack, fields)])

    expect(statuses(replies)).toEqual(["created", "created", "created"])
    expect(new Set(replies.map((reply) => reply.body.newOrderId)).size).toBe(1)
    expect(ordersOf(stack, customer.id)).toHaveLength(1)
  })

  it("orders another set separately", async () => {
    const customer = boundCustomer(stack, "rec-create-two-sets")
    const basic = await createOn(stack, { ...identity("rec-create-two-sets"), offerCode: basicCode })
    const female = await createOn(stack, { ...identity("rec-create-two-sets"), offerCode: femaleCode })

    expect(female.body.status).toBe("created")
    expect(female.body.newOrderId).not.toBe(basic.body.newOrderId)
    expect(ordersOf(stack, customer.id)).toHaveLength(2)
  })

  it("creates once after a 503", async () => {
    const customer = boundCustomer(stack, "rec-create-503")
    stack.crm.injectFault({ path: createPath, method: "POST", status: 503, body: "<html>503</html>" })
    const reply = await createOn(stack, { ...identity("rec-create-503"), offerCode: basicCode })

    expect(reply.body.status).toBe("created")
    expect(sentOrders(stack, customer.id)).toHaveLength(2)
    expect(ordersOf(stack, customer.id)).toHaveLength(1)
    expect(reply.body.newOrderId).toBe(String(ordersOf(stack, customer.id)[0]?.id))
  })

  it("hands off after two 503s", async () => {
    const customer = boundCustomer(stack, "rec-create-503-twice")
    stack.crm.injectFault({ path: createPath, method: "POST", status: 503, body: "<html>503</html>", times: 2 })
    const reply = await createOn(stack, { ...identity("rec-create-503-twice"), offerCode: basicCode })

    expect(keysOf(reply)).toEqual(sortedKeys("create"))
    expect(reply.body.status).toBe("error")
    expect(reply.body.errorCode).toBe("order_create_failed")
    expect(reply.body.message).toBe(createFailedMessage)
    expect(reply.body.text).toBe(handOffText)
    expect(reply.body.newOrderId).toBeNull()
    expect(ordersOf(stack, customer.id)).toHaveLength(0)
  })

  it("keeps an order whose reply was lost", async () => {
    const customer = boundCustomer(stack, "rec-create-lost")
    stack.crm.injectFault({
      path: createPath,
      method: "POST",
      status: 500,
      body: "<html>500</html>",
      afterEffect: true
    })
    const reply = await createOn(stack, { ...identity("rec-create-lost"), offerCode: basicCode })
    const orders = ordersOf(stack, customer.id)

    expect(reply.body.status).toBe("created")
    expect(orders).toHaveLength(1)
    expect(reply.body.newOrderId).toBe(String(orders[0]?.id))
  })

  it("creates despite a failed mark", async () => {
    const customer = boundCustomer(stack, "rec-create-mark")
    stack.crm.injectFault({ path: `/api/v5/customers/${customer.id}/edit`, method: "POST", status: 500, body: "<p>" })
    const reply = await createOn(stack, { ...identity("rec-create-mark"), offerCode: basicCode })

    expect(reply.body.status).toBe("created")
    expect(ordersOf(stack, customer.id)).toHaveLength(1)
    expect(stack.crm.customer(customer.id)?.customFields.chatbot_interacted).toBeUndefined()
  })

  it("marks the customer once", async () => {
    const customer = boundCustomer(stack, "rec-create-marked")
    await createOn(stack, { ...identity("rec-create-marked"), offerCode: basicCode })
    await createOn(stack, { ...identity("rec-create-marked"), offerCode: femaleCode })
    const marks = stack.crm.requests.filter(
      (request) =>
        request.path === `/api/v5/customers/${customer.id}/edit` &&
        (request.form?.get("customer") ?? "").includes("chatbot_interacted")
    )

    expect(stack.crm.customer(customer.id)?.customFields.chatbot_interacted).toBe(true)
    expect(marks).toHaveLength(1)
  })

  it("uses the configured site and status", async () => {
    const customer = boundCustomer(configured, "rec-create-configured")
    const reply = await createOn(configured, { ...identity("rec-create-configured"), offerCode: "test_set" })
    const sent = sentOrders(configured, customer.id)

    expect(reply.body.status).toBe("created")
    expect(sent[0]?.site).toBe("test-shop")
    expect(sent[0]?.order.status).toBe("client-confirmed")
    expect(sent[0]?.order.items).toEqual([
      { offer: { id: configuredCatalogue.testProduct.offers[0]?.id }, quantity: 1 }
    ])
    expect(sent[0]?.order.customerComment).toBe("Заказ создан чат-ботом по рекомендации: test_set")
  })
})

describe("POST /orders/recommended/start", () => {
  for (const encoding of encodings) {
    it(`sends a code to a customer (${encoding})`, async () => {
      const digits = encoding === "json" ? "79000000001" : "79000000002"
      stack.crm.addCustomer({ phones: [{ number: `+${digits}` }] })
      const reply = await startOn(
        stack,
        { ...identity(`rec-start-${encoding}`), offerCode: basicCode, phone: `+${digits}` },
        encoding
      )
      const sent = messagesTo(stack, digits)

      expect(reply.httpStatus).toBe(200)
      expect(keysOf(reply)).toEqual(sortedKeys("start"))
      expect(reply.body.status).toBe("sent")
      expect(reply.body.sessionId).toMatch(/^[0-9a-f-]{36}$/)
      expect(reply.body.maskedPhone).toBe(maskedPhone(digits))
      expect(reply.body.retryAfterSec).toBe(60)
      expect(reply.body.offerCode).toBe(basicCode)
      expect(reply.body.errorCode).toBeNull()
      expect(reply.body.message).toBeNull()
      expect(sent).toHaveLength(1)
      expect(sent[0]?.route).toBe("telegram")
      expect(sent[0]?.txt).toMatch(/^\d{6}$/)
    })
  }

  it("sends a real code to a new phone", async () => {
    const reply = await startOn(stack, {
      ...identity("rec-start-new"),
      offerCode: basicCode,
      phone: "+7 900 000-00-03"
    })

    expect(reply.body.status).toBe("sent")
    expect(reply.body.maskedPhone).toBe(maskedPhone("79000000003"))
    expect(messagesTo(stack, "79000000003")).toHaveLength(1)
  })

  it("uses the SMS route for WhatsApp", async () => {
    const reply = await startOn(stack, {
      channelType: "whatsapp",
      messengerUserId: "79000000004@lid",
      offerCode: basicCode,
      phone: "89000000004"
    })
    const sent = messagesTo(stack, "79000000004")

    expect(reply.body.status).toBe("sent")
    expect(sent[0]?.route).toBe("sms")
    expect(sent[0]?.txt).toMatch(/^Код подтверждения: \d{6}\. Никому его не сообщайте\.$/)
  })

  it("sends a code after the deduper resolves", async () => {
    stack.crm.addCustomer({ phones: [{ number: "+79000000005" }] })
    const chosen = stack.crm.addCustomer({ phones: [{ number: "8 900 000 00 05" }] })
    stack.deduper.setResult("79000000005", { status: "resolved", finalCustomerId: chosen.id })
    const reply = await startOn(stack, { ...identity("rec-start-dedupe"), offerCode: basicCode, phone: "+79000000005" })

    expect(reply.body.status).toBe("sent")
    expect(messagesTo(stack, "79000000005")).toHaveLength(1)
  })

  it("reports dedupe_failed", async () => {
    stack.crm.addCustomer({ phones: [{ number: "+79000000006" }] })
    stack.crm.addCustomer({ phones: [{ number: "89000000006" }] })
    const reply = await startOn(stack, {
      ...identity("rec-start-dedupe-failed"),
      offerCode: basicCode,
      phone: "+79000000006"
    })

    expect(keysOf(reply)).toEqual(sortedKeys("start"))
    expect(reply.body.status).toBe("error")
    expect(reply.body.sessionId).toBeNull()
    expect(reply.body.offerCode).toBe(basicCode)
    expect(reply.body.errorCode).toBe("dedupe_failed")
    expect(reply.body.message).toBe("Не удалось отправить код. Напишите менеджеру.")
    expect(messagesTo(stack, "79000000006")).toHaveLength(0)
  })

  it("reports an unknown offer", async () => {
    const reply = await startOn(stack, {
      ...identity("rec-start-unknown"),
      offerCode: "no_such_set",
      phone: "+79000000007"
    })

    expect(keysOf(reply)).toEqual(sortedKeys("start"))
    expect(reply.body.status).toBe("unknown_offer")
    expect(reply.body.sessionId).toBeNull()
    expect(reply.body.offerCode).toBe("no_such_set")
    expect(reply.body.errorCode).toBe("unknown_offer")
    expect(reply.body.message).toBe(unknownOfferMessage)
    expect(messagesTo(stack, "79000000007")).toHaveLength(0)
  })

  it("sends nothing without the product", async () => {
    stack.crm.addCustomer({ phones: [{ number: "+79000000008" }] })
    const reply = await startOn(stack, {
      ...identity("rec-start-no-product"),
      offerCode: beardCode,
      phone: "+79000000008"
    })

    expect(keysOf(reply)).toEqual(sortedKeys("start"))
    expect(reply.body.status).toBe("error")
    expect(reply.body.sessionId).toBeNull()
    expect(reply.body.offerCode).toBe(beardCode)
    expect(reply.body.errorCode).toBe("product_not_found")
    expect(reply.body.message).toBe(productNotFoundMessage)
    expect(messagesTo(stack, "79000000008")).toHaveLength(0)
  })

  it("refuses sends over the limit", async () => {
    const replies = []
    // Different accounts, so no start is a double tap of another.
    for (const account of ["a", "b", "c", "d"]) {
      replies.push(
        await startOn(stack, { ...identity(`rec-start-limit-${account}`), offerCode: basicCode, phone: "+79000000009" })
      )
    }
    const limited = replies[3] as BotReply

    expect(statuses(replies)).toEqual(["sent", "sent", "sent", "rate_limited"])
    expect(keysOf(limited)).toEqual(sortedKeys("start"))
    expect(limited.body.sessionId).toBeNull()
    expect(limited.body.errorCode).toBe("rate_limited")
    expect(limited.body.message).toBe("Слишком много запросов кода. Попробуйте позже.")
    expect(limited.body.retryAfterSec).toBeGreaterThan(890)
    expect(limited.body.retryAfterSec).toBeLessThanOrEqual(900)
    expect(messagesTo(stack, "79000000009")).toHaveLength(3)
  })

  it("returns one session on a double tap", async () => {
    const fields = { ...identity("rec-start-double"), offerCode: basicCode, phone: "+79000000010" }
    const [first, second] = await Promise.all([startOn(stack, fields), startOn(stack, fields)])

    expect(first.body.status).toBe("sent")
    expect(second.body.status).toBe("sent")
    expect(second.body.sessionId).toBe(first.body.sessionId)
    expect(messagesTo(stack, "79000000010")).toHaveLength(1)
  })

  it("opens a new session for another set", async () => {
    const fields = { ...identity("rec-start-other-set"), phone: "+79000000011" }
    const basic = await startOn(stack, { ...fields, offerCode: basicCode })
    const female = await startOn(stack, { ...fields, offerCode: femaleCode })

    expect(female.body.status).toBe("sent")
    expect(female.body.offerCode).toBe(femaleCode)
    expect(female.body.sessionId).not.toBe(basic.body.sessionId)
    expect(messagesTo(stack, "79000000011")).toHaveLength(2)
  })

  it("rejects an invalid phone", async () => {
    const before = stack.greenSms.messages.length
    const reply = await startOn(stack, { ...identity("rec-start-bad-phone"), offerCode: basicCode, phone: "12-34" })

    expect(keysOf(reply)).toEqual(sortedKeys("start"))
    expect(reply.body.status).toBe("error")
    expect(reply.body.errorCode).toBe("invalid_phone")
    expect(reply.body.message).toBe("Проверьте номер телефона: например, +7 999 123-45-67.")
    expect(stack.greenSms.messages.length).toBe(before)
  })

  it("requires the identity", async () => {
    const reply = await startOn(stack, { offerCode: basicCode, phone: "+79000000012" })

    expect(keysOf(reply)).toEqual(sortedKeys("start"))
    expect(reply.body.status).toBe("error")
    expect(reply.body.errorCode).toBe("missing_identity")
    expect(messagesTo(stack, "79000000012")).toHaveLength(0)
  })
})

describe("POST /orders/recommended/check", () => {
  for (const encoding of encodings) {
    it(`creates customer and order (${encoding})`, async () => {
      const digits = encoding === "json" ? "79000000020" : "79000000021"
      const accountId = `rec-check-new-${encoding}`
      const session = await startSession(stack, digits, accountId, {
        firstName: "Анна",
        lastName: "Тестова",
        email: "anna.testova@example.com"
      })
      const reply = await checkOn(
        stack,
        { ...identity(accountId), sessionId: session.sessionId, code: session.code },
        encoding
      )
      const customers = customersWithPhone(stack, digits)
      const customer = customers[0]
      const orders = ordersOf(stack, customer?.id ?? 0)

      expect(reply.httpStatus).toBe(200)
      expect(keysOf(reply)).toEqual(sortedKeys("check"))
      expect(customers).toHaveLength(1)
      expect(orders).toHaveLength(1)
      expect(reply.body.status).toBe("created")
      expect(reply.body.authorized).toBe(true)
      expect(reply.body.customerId).toBe(String(customer?.id))
      expect(reply.body.offerCode).toBe(basicCode)
      expect(reply.body.newOrderId).toBe(String(orders[0]?.id))
      expect(reply.body.newOrderNumber).toBe(orders[0]?.number)
      expect(reply.body.text).toBe(createdText(orders[0]?.number ?? ""))
      expect(reply.body.errorCode).toBeNull()
      expect(reply.body.message).toBeNull()
    })
  }

  it("creates the customer as contracted", async () => {
    const session = await startSession(stack, "79000000022", "rec-check-new-fields", {
      firstName: "Анна",
      lastName: "Тестова",
      email: "anna.tester@example.com"
    })
    const reply = await checkAs(stack, "rec-check-new-fields", session)
    const sent = sentCustomers(stack, "79000000022")
    const customer = customersWithPhone(stack, "79000000022")[0]
    const fields = (sent[0]?.customer.customFields ?? {}) as Record<string, unknown>

    expect(reply.body.status).toBe("created")
    expect(sent).toHaveLength(1)
    expect(sent[0]?.site).toBe("1minoxidil-ru")
    expect(customer?.site).toBe("1minoxidil-ru")
    expect(customer?.firstName).toBe("Анна")
    expect(customer?.lastName).toBe("Тестова")
    expect(customer?.email).toBe("anna.tester@example.com")
    expect(customer?.phones).toEqual([{ number: "+79000000022" }])
    expect(Object.keys(fields).sort()).toEqual(
      [bindingField, "bot_last_verified_channel", "bot_last_verified_at", "bot_last_verification_method"].sort()
    )
    expect(customer?.customFields[bindingField]).toBe("rec-check-new-fields")
    expect(customer?.customFields.bot_last_verified_channel).toBe("telegram")
    expect(customer?.customFields.bot_last_verified_at).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
    expect(customer?.customFields.bot_last_verification_method).toBe("telegram_otp")
    expect(customer?.customFields.chatbot_interacted).toBe(true)
  })

  it("orders for the new customer", async () => {
    const session = await startSession(stack, "79000000023", "rec-check-new-order", {
      firstName: "Анна",
      lastName: "Тестова",
      email: "anna.order@example.com"
    })
    await checkAs(stack, "rec-check-new-order", session)
    const customer = customersWithPhone(stack, "79000000023")[0]
    const sent = sentOrders(stack, customer?.id ?? 0)
    const order = sent[0]?.order ?? {}

    expect(sent).toHaveLength(1)
    expect(sent[0]?.site).toBe("1minoxidil-ru")
    expect(Object.keys(order).sort()).toEqual(
      ["customer", "customerComment", "email", "firstName", "items", "lastName", "phone", "status"].sort()
    )
    expect(order.status).toBe(defaultStatus)
    expect(order.customer).toEqual({ id: customer?.id })
    expect(order.items).toEqual([{ offer: { id: catalogue.basicOfferId }, quantity: 1 }])
    expect(order.customerComment).toBe(basicComment)
    expect(order.firstName).toBe("Анна")
    expect(order.lastName).toBe("Тестова")
    expect(order.phone).toBe("+79000000023")
    expect(order.email).toBe("anna.order@example.com")
  })

  it("drops an invalid email", async () => {
    const session = await startSession(stack, "79000000024", "rec-check-bad-email", { email: "anna@" })
    const reply = await checkAs(stack, "rec-check-bad-email", session)
    const customer = customersWithPhone(stack, "79000000024")[0]
    const order = sentOrders(stack, customer?.id ?? 0)[0]?.order ?? {}

    expect(reply.body.status).toBe("created")
    expect(sentCustomers(stack, "79000000024")[0]?.customer).not.toHaveProperty("email")
    expect(order).not.toHaveProperty("email")
  })

  it("binds an existing customer", async () => {
    const customer = stack.crm.addCustomer({
      firstName: "Мария",
      lastName: "Образцова",
      email: "maria.obraztsova@example.com",
      phones: [{ number: "8 (900) 000-00-25" }]
    })
    const session = await startSession(stack, "79000000025", "rec-check-existing")
    const reply = await checkAs(stack, "rec-check-existing", session)
    const stored = stack.crm.customer(customer.id)
    const order = sentOrders(stack, customer.id)[0]?.order ?? {}

    expect(reply.body.status).toBe("created")
    expect(reply.body.customerId).toBe(String(customer.id))
    expect(stored?.customFields[bindingField]).toBe("rec-check-existing")
    expect(stored?.customFields.bot_last_verified_channel).toBe("telegram")
    expect(stored?.customFields.bot_last_verified_at).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
    expect(stored?.customFields.bot_last_verification_method).toBe("telegram_otp")
    expect(sentCustomers(stack, "79000000025")).toHaveLength(0)
    expect(ordersOf(stack, customer.id)).toHaveLength(1)
    expect(order.firstName).toBe("Мария")
    expect(order.lastName).toBe("Образцова")
    expect(order.phone).toBe("+79000000025")
    expect(order.email).toBe("maria.obraztsova@example.com")
  })

  it("authorizes the account afterwards", async () => {
    const customer = stack.crm.addCustomer({ phones: [{ number: "+79000000026" }] })
    const session = await startSession(stack, "79000000026", "rec-check-later")
    await checkAs(stack, "rec-check-later", session)
    const preview = await previewOn(stack, { ...identity("rec-check-later"), offerCode: basicCode })

    expect(preview.body.authorized).toBe(true)
    expect(preview.body.customerId).toBe(String(customer.id))
  })

  it("orders for the deduper's customer", async () => {
    const other = stack.crm.addCustomer({ phones: [{ number: "+79000000027" }] })
    const chosen = stack.crm.addCustomer({ phones: [{ number: "89000000027" }] })
    stack.deduper.setResult("79000000027", { status: "resolved_with_fallback_primary", finalCustomerId: chosen.id })
    const session = await startSession(stack, "79000000027", "rec-check-dedupe")
    const reply = await checkAs(stack, "rec-check-dedupe", session)

    expect(reply.body.status).toBe("created")
    expect(reply.body.customerId).toBe(String(chosen.id))
    expect(stack.crm.customer(chosen.id)?.customFields[bindingField]).toBe("rec-check-dedupe")
    expect(stack.crm.customer(other.id)?.customFields[bindingField]).toBeUndefined()
    expect(ordersOf(stack, chosen.id)).toHaveLength(1)
    expect(ordersOf(stack, other.id)).toHaveLength(0)
  })

  it("rejects an account bound elsewhere", async () => {
    const holder = boundCustomer(stack, "rec-check-taken")
    const customer = stack.crm.addCustomer({ phones: [{ number: "+79000000028" }] })
    const session = await startSession(stack, "79000000028", "rec-check-taken")
    const reply = await checkAs(stack, "rec-check-taken", session)
    const again = await checkAs(stack, "rec-check-taken", session)

    expect(keysOf(reply)).toEqual(sortedKeys("check"))
    expect(reply.body.status).toBe("conflict")
    expect(reply.body.authorized).toBe(false)
    expect(reply.body.customerId).toBeNull()
    expect(reply.body.newOrderId).toBeNull()
    expect(reply.body.errorCode).toBe("binding_conflict")
    expect(reply.body.message).toBe("Этот аккаунт уже привязан к другому профилю. Напишите менеджеру.")
    expect(stack.crm.customer(customer.id)?.customFields[bindingField]).toBeUndefined()
    expect(ordersOf(stack, customer.id)).toHaveLength(0)
    expect(ordersOf(stack, holder.id)).toHaveLength(0)
    expect(again.body.status).toBe("error")
    expect(again.body.errorCode).toBe("session_closed")
  })

  it("rejects a taken account for a new phone", async () => {
    const holder = boundCustomer(stack, "rec-check-taken-new")
    const session = await startSession(stack, "79000000029", "rec-check-taken-new")
    const reply = await checkAs(stack, "rec-check-taken-new", session)

    expect(reply.body.status).toBe("conflict")
    expect(reply.body.errorCode).toBe("binding_conflict")
    expect(customersWithPhone(stack, "79000000029")).toHaveLength(0)
    expect(ordersOf(stack, holder.id)).toHaveLength(0)
  })

  it("rejects a wrong code", async () => {
    const session = await startSession(stack, "79000000030", "rec-check-wrong")
    const reply = await checkAs(stack, "rec-check-wrong", session, wrongCode(session.code))

    expect(keysOf(reply)).toEqual(sortedKeys("check"))
    expect(reply.body.status).toBe("invalid_code")
    expect(reply.body.authorized).toBe(false)
    expect(reply.body.customerId).toBeNull()
    expect(reply.body.errorCode).toBe("code_invalid")
    expect(reply.body.message).toBe("Неверный код. Проверьте и попробуйте ещё раз.")
    expect(customersWithPhone(stack, "79000000030")).toHaveLength(0)
  })

  it("locks after five wrong codes", async () => {
    const session = await startSession(stack, "79000000031", "rec-check-attempts")
    const wrong = []
    for (let attempt = 0; attempt < 5; attempt++) {
      wrong.push(await checkAs(stack, "rec-check-attempts", session, wrongCode(session.code)))
    }
    const right = await checkAs(stack, "rec-check-attempts", session)

    expect(statuses(wrong)).toEqual(Array(5).fill("invalid_code"))
    expect(keysOf(right)).toEqual(sortedKeys("check"))
    expect(right.body.status).toBe("too_many_attempts")
    expect(right.body.errorCode).toBe("too_many_attempts")
    expect(right.body.message).toBe("Слишком много попыток. Запросите новый код.")
    expect(customersWithPhone(stack, "79000000031")).toHaveLength(0)
  })

  it("hides another account's session", async () => {
    const session = await startSession(stack, "79000000032", "rec-check-owner")
    const foreign = await checkAs(stack, "rec-check-intruder", session)
    const own = await checkAs(stack, "rec-check-owner", session)

    expect(keysOf(foreign)).toEqual(sortedKeys("check"))
    expect(foreign.body.status).toBe("error")
    expect(foreign.body.errorCode).toBe("session_not_found")
    expect(foreign.body.message).toBe(sessionGoneMessage)
    expect(own.body.status).toBe("created")
  })

  it("refuses an auth session", async () => {
    stack.crm.addCustomer({ phones: [{ number: "+79000000033" }] })
    const started = await post(stack.url, "/auth/start", { ...identity("rec-check-auth"), phone: "+79000000033" })
    const code = stack.greenSms.lastCodeTo("79000000033") ?? ""
    const reply = await checkOn(stack, {
      ...identity("rec-check-auth"),
      sessionId: String(started.body.sessionId),
      code
    })
    const auth = await post(stack.url, "/auth/check", {
      ...identity("rec-check-auth"),
      sessionId: String(started.body.sessionId),
      code
    })

    expect(started.body.status).toBe("sent")
    expect(reply.body.status).toBe("error")
    expect(reply.body.errorCode).toBe("session_not_found")
    expect(auth.body.status).toBe("authorized")
  })

  it("reports an unknown session", async () => {
    const reply = await checkOn(stack, { ...identity("rec-check-unknown"), sessionId: randomUUID(), code: "123456" })

    expect(keysOf(reply)).toEqual(sortedKeys("check"))
    expect(reply.body.status).toBe("error")
    expect(reply.body.errorCode).toBe("session_not_found")
  })

  it("resumes after the offer was unavailable", async () => {
    const session = await startSession(stack, "79000000034", "rec-check-inactive")
    stack.crm.injectFault({
      path: createPath,
      method: "POST",
      status: 400,
      body: offerUnavailableBody(catalogue.basicOfferId)
    })
    const failed = await checkAs(stack, "rec-check-inactive", session)
    const customer = customersWithPhone(stack, "79000000034")[0]
    const ordersAfterFailure = ordersOf(stack, customer?.id ?? 0).length
    const resumed = await checkAs(stack, "rec-check-inactive", session)

    expect(keysOf(failed)).toEqual(sortedKeys("check"))
    expect(failed.body.status).toBe("error")
    expect(failed.body.errorCode).toBe("product_not_found")
    expect(failed.body.message).toBe(productNotFoundMessage)
    expect(failed.body.newOrderId).toBeNull()
    expect(ordersAfterFailure).toBe(0)
    expect(resumed.body.status).toBe("created")
    expect(customersWithPhone(stack, "79000000034")).toHaveLength(1)
    expect(ordersOf(stack, customer?.id ?? 0)).toHaveLength(1)
  })

  it("retries a failed customer create", async () => {
    const session = await startSession(stack, "79000000047", "rec-check-customer-503")
    stack.crm.injectFault({ path: customerCreatePath, method: "POST", status: 503, body: "<html>503</html>" })
    const failed = await checkAs(stack, "rec-check-customer-503", session)
    const customersAfterFailure = customersWithPhone(stack, "79000000047").length
    const retried = await checkAs(stack, "rec-check-customer-503", session)
    const customers = customersWithPhone(stack, "79000000047")

    expect(failed.body.status).toBe("error")
    expect(failed.body.errorCode).toBe("crm_unavailable")
    expect(customersAfterFailure).toBe(0)
    expect(retried.body.status).toBe("created")
    expect(customers).toHaveLength(1)
    expect(ordersOf(stack, customers[0]?.id ?? 0)).toHaveLength(1)
  })

  it("keeps a customer whose reply was lost", async () => {
    const session = await startSession(stack, "79000000048", "rec-check-customer-lost")
    stack.crm.injectFault({
      path: customerCreatePath,
      method: "POST",
      status: 500,
      body: "<html>500</html>",
      afterEffect: true
    })
    const failed = await checkAs(stack, "rec-check-customer-lost", session)
    const retried = await checkAs(stack, "rec-check-customer-lost", session)
    const customers = customersWithPhone(stack, "79000000048")

    expect(failed.body.status).toBe("error")
    expect(failed.body.errorCode).toBe("crm_unavailable")
    expect(retried.body.status).toBe("created")
    expect(customers).toHaveLength(1)
    expect(retried.body.customerId).toBe(String(customers[0]?.id))
    expect(ordersOf(stack, customers[0]?.id ?? 0)).toHaveLength(1)
  })

  it("keeps a session across a restart", async () => {
    const session = await startSession(stack, "79000000049", "rec-check-restart")
    await stack.stopService()
    await stack.startService()
    const first = await checkAs(stack, "rec-check-restart", session)
    await stack.stopService()
    await stack.startService()
    const replayed = await checkAs(stack, "rec-check-restart", session)
    const customer = customersWithPhone(stack, "79000000049")[0]

    expect(first.body.status).toBe("created")
    expect(replayed.body.status).toBe("created")
    expect(replayed.body.newOrderId).toBe(first.body.newOrderId)
    expect(ordersOf(stack, customer?.id ?? 0)).toHaveLength(1)
  })

  it("creates once after a 503", async () => {
    const session = await startSession(stack, "79000000035", "rec-check-503")
    stack.crm.injectFault({ path: createPath, method: "POST", status: 503, body: "<html>503</html>" })
    const reply = await checkAs(stack, "rec-check-503", session)
    const customer = customersWithPhone(stack, "79000000035")[0]
    const orders = ordersOf(stack, customer?.id ?? 0)

    expect(reply.body.status).toBe("created")
    expect(orders).toHaveLength(1)
    expect(reply.body.newOrderId).toBe(String(orders[0]?.id))
  })

  it("hands off after two 503s", async () => {
    const session = await startSession(stack, "79000000036", "rec-check-503-twice")
    stack.crm.injectFault({ path: createPath, method: "POST", status: 503, body: "<html>503</html>", times: 2 })
    const failed = await checkAs(stack, "rec-check-503-twice", session)
    const customer = customersWithPhone(stack, "79000000036")[0]
    const ordersAfterFailure = ordersOf(stack, customer?.id ?? 0).length
    const resumed = await checkAs(stack, "rec-check-503-twice", session)
    const orders = ordersOf(stack, customer?.id ?? 0)

    expect(keysOf(failed)).toEqual(sortedKeys("check"))
    expect(failed.body.status).toBe("error")
    expect(failed.body.errorCode).toBe("order_create_failed")
    expect(failed.body.message).toBe(createFailedMessage)
    expect(failed.body.text).toBe(handOffText)
    expect(failed.body.newOrderId).toBeNull()
    expect(ordersAfterFailure).toBe(0)
    expect(resumed.body.status).toBe("created")
    expect(resumed.body.customerId).toBe(String(customer?.id))
    expect(orders).toHaveLength(1)
    expect(resumed.body.newOrderId).toBe(String(orders[0]?.id))
    expect(customersWithPhone(stack, "79000000036")).toHaveLength(1)
  })

  for (const [name, digits, fault] of [
    ["a 500", "79000000037", { status: 500, body: "<html>500</html>" }],
    ["a dropped connection", "79000000038", { dropConnection: true }]
  ] as const) {
    it(`keeps the order after ${name}`, async () => {
      const accountId = `rec-check-lost-${digits}`
      const session = await startSession(stack, digits, accountId)
      stack.crm.injectFault({ path: createPath, method: "POST", afterEffect: true, ...fault })
      const reply = await checkAs(stack, accountId, session)
      const customer = customersWithPhone(stack, digits)[0]
      const orders = ordersOf(stack, customer?.id ?? 0)

      expect(reply.body.status).toBe("created")
      expect(orders).toHaveLength(1)
      expect(reply.body.newOrderId).toBe(String(orders[0]?.id))
      expect(reply.body.newOrderNumber).toBe(orders[0]?.number)
    })
  }

  it("returns the same order on replay", async () => {
    const session = await startSession(stack, "79000000039", "rec-check-replay")
    const first = await checkAs(stack, "rec-check-replay", session)
    const replayed = await checkAs(stack, "rec-check-replay", session)
    const customer = customersWithPhone(stack, "79000000039")[0]

    expect(first.body.status).toBe("created")
    expect(keysOf(replayed)).toEqual(sortedKeys("check"))
    expect(replayed.body.status).toBe("created")
    expect(replayed.body.newOrderId).toBe(first.body.newOrderId)
    expect(replayed.body.newOrderNumber).toBe(first.body.newOrderNumber)
    expect(replayed.body.customerId).toBe(first.body.customerId)
    expect(sentOrders(stack, customer?.id ?? 0)).toHaveLength(1)
    expect(ordersOf(stack, customer?.id ?? 0)).toHaveLength(1)
  })

  it("creates once for five concurrent checks", async () => {
    const session = await startSession(stack, "79000000040", "rec-check-race", { firstName: "Анна" })
    const replies = await Promise.all(Array.from({ length: 5 }, () => checkAs(stack, "rec-check-race", session)))
    const customers = customersWithPhone(stack, "79000000040")
    const created = replies.filter((reply) => reply.body.status === "created")

    const outcomes = replies.map((reply) => (reply.body.status === "created" ? "created" : reply.body.errorCode))
    for (const outcome of outcomes) {
      expect(["created", "session_closed"]).toContain(outcome)
    }
    expect(created.length).toBeGreaterThanOrEqual(1)
    expect(new Set(created.map((reply) => reply.body.newOrderId)).size).toBe(1)
    expect(customers).toHaveLength(1)
    expect(ordersOf(stack, customers[0]?.id ?? 0)).toHaveLength(1)
  })

  it("checks at the send limit", async () => {
    stack.crm.addCustomer({ phones: [{ number: "+79000000041" }] })
    const session = await startSession(stack, "79000000041", "rec-check-limit")
    // Two more accounts use up the phone's three sends in 15 minutes.
    await startSession(stack, "79000000041", "rec-check-limit-2")
    await startSession(stack, "79000000041", "rec-check-limit-3")
    const limited = await startOn(stack, {
      ...identity("rec-check-limit-4"),
      offerCode: basicCode,
      phone: "+79000000041"
    })
    const reply = await checkAs(stack, "rec-check-limit", session)

    expect(limited.body.status).toBe("rate_limited")
    expect(reply.body.status).toBe("created")
  })

  it("orders the set of its session", async () => {
    const basic = await startSession(stack, "79000000042", "rec-check-two-sets")
    const female = await startSession(stack, "79000000042", "rec-check-two-sets", { offerCode: femaleCode })
    const reply = await checkAs(stack, "rec-check-two-sets", female)
    const superseded = await checkAs(stack, "rec-check-two-sets", basic)
    const customer = customersWithPhone(stack, "79000000042")[0]
    const sent = sentOrders(stack, customer?.id ?? 0)

    expect(basic.sessionId).not.toBe(female.sessionId)
    expect(reply.body.status).toBe("created")
    expect(reply.body.offerCode).toBe(femaleCode)
    expect(sent).toHaveLength(1)
    expect(sent[0]?.order.items).toEqual([{ offer: { id: catalogue.femaleOfferId }, quantity: 1 }])
    // The later start superseded the earlier session of the same phone and account.
    expect(superseded.body.status).toBe("error")
    expect(superseded.body.errorCode).toBe("session_closed")
  })

  it("creates despite a failed mark", async () => {
    const session = await startSession(stack, "79000000043", "rec-check-mark")
    stack.crm.injectFault({ path: /^\/api\/v5\/customers\/\d+\/edit$/, method: "POST", status: 500, body: "<p>" })
    const reply = await checkAs(stack, "rec-check-mark", session)
    const customer = customersWithPhone(stack, "79000000043")[0]

    expect(reply.body.status).toBe("created")
    expect(ordersOf(stack, customer?.id ?? 0)).toHaveLength(1)
    expect(customer?.customFields.chatbot_interacted).toBeUndefined()
  })

  it("reports an expired code", async () => {
    const session = await startSession(shortLived, "79000000044", "rec-check-expired")
    await sleep(1500)
    const reply = await checkAs(shortLived, "rec-check-expired", session)

    expect(keysOf(reply)).toEqual(sortedKeys("check"))
    expect(reply.body.status).toBe("expired")
    expect(reply.body.authorized).toBe(false)
    expect(reply.body.errorCode).toBe("code_expired")
    expect(reply.body.message).toBe("Срок действия кода истёк. Запросите новый.")
    expect(customersWithPhone(shortLived, "79000000044")).toHaveLength(0)
    expect(shortLived.crm.createdOrders()).toHaveLength(0)
  })

  it("uses the configured site for customers", async () => {
    const session = await startSession(configured, "79000000045", "rec-check-configured", { offerCode: "test_set" })
    const reply = await checkAs(configured, "rec-check-configured", session)
    const customer = customersWithPhone(configured, "79000000045")[0]
    const sent = sentOrders(configured, customer?.id ?? 0)

    expect(reply.body.status).toBe("created")
    expect(customer?.site).toBe("test-shop")
    expect(sent[0]?.site).toBe("test-shop")
    expect(sent[0]?.order.status).toBe("client-confirmed")
  })

  it("resolves the product again at check", async () => {
    const product = configuredCatalogue.testProduct
    const session = await startSession(configured, "79000000046", "rec-check-deactivated", { offerCode: "test_set" })
    // RetailCRM now lists the set's product as inactive, once.
    configured.crm.injectFault({
      path: "/api/v5/store/products",
      method: "GET",
      status: 200,
      body: JSON.stringify({
        success: true,
        pagination: { limit: 20, totalCount: 1, currentPage: 1, totalPageCount: 1 },
        products: [{ ...product, active: false }]
      })
    })
    const failed = await checkAs(configured, "rec-check-deactivated", session)
    const customer = customersWithPhone(configured, "79000000046")[0]
    const sentAfterFailure = sentOrders(configured, customer?.id ?? 0).length
    const resumed = await checkAs(configured, "rec-check-deactivated", session)

    expect(failed.body.status).toBe("error")
    expect(failed.body.errorCode).toBe("product_not_found")
    expect(failed.body.offerCode).toBe("test_set")
    expect(sentAfterFailure).toBe(0)
    expect(resumed.body.status).toBe("created")
    expect(ordersOf(configured, customer?.id ?? 0)).toHaveLength(1)
  })
})

describe("recommended flow logs", () => {
  it("keep codes and phones out", () => {
    const logs = stack.logs.join("\n")
    const codes = stack.greenSms.messages.map((message) => /(?<!\d)\d{6}(?!\d)/.exec(message.txt)?.[0] ?? "")

    // The flows above must have logged and sent, or this test would check nothing.
    expect(stack.logs.length).toBeGreaterThan(100)
    expect(codes.length).toBeGreaterThan(20)
    for (const code of codes) {
      expect(new RegExp(`(?<!\\d)${code}(?!\\d)`).test(logs), `logs contain the code ${code}`).toBe(false)
    }
    for (let last = 0; last < 100; last++) {
      const digits = `790000000${String(last).padStart(2, "0")}`
      expect(logs, `logs contain ${digits}`).not.toContain(digits)
      expect(logs, `logs contain ${digits.slice(1)}`).not.toContain(digits.slice(1))
    }
  })
})
