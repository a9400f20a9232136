import { afterAll, afterEach, beforeAll, describe, expect, it } from "@effect/vitest"
import type { Order, OrderInput } from "../emulators/retailcrm.js"
import type { Fields } from "../support/client.js"
import { get, tempDatabase } from "../support/client.js"
import {
  exampleDetailText,
  exampleListText,
  exampleRepeatConfirmText,
  exampleTrackingText,
  orderSummaryFields
} from "../support/exampleOrder.js"
import { crmApiKey, Stack } from "../support/stack.js"

let stack: Stack

beforeAll(async () => {
  stack = await Stack.start({ sqlitePath: tempDatabase() })
})

afterEach(() => {
  stack.crm.clearFaults()
  stack.crm.orderListSort = "newest"
})

afterAll(() => stack.close())

const telegramField = "bot_telegram_account_id"

const replyFields = ["status", "customerId", "shownCount", "orders", "text", "errorCode", "message"]

const emptyText = "У вас пока нет заказов."

/** One order of the reply, typed for the fields the tests read. */
interface ShownOrder {
  readonly sourceOrderId: string
  readonly orderNumber: string
  readonly statusGroup: string
  readonly statusLabel: string
  readonly [field: string]: unknown
}

const listOrders = (fields: Fields, target: Stack = stack) => get(target.url, "/orders", fields)

const shownOrders = (body: Record<string, unknown>) => body.orders as ReadonlyArray<ShownOrder>

const shownIds = (body: Record<string, unknown>) => shownOrders(body).map((order) => order.sourceOrderId)

const idsOf = (orders: ReadonlyArray<Order>) => orders.map((order) => String(order.id))

let nextPhone = 10

/** Adds a customer whose Telegram field contains `accountId`, with a made-up phone. */
const boundCustomer = (accountId: string, target: Stack = stack) => {
  const phone = `+7 900 000-00-${String(nextPhone++ % 100).padStart(2, "0")}`
  return target.crm.addCustomer({ phones: [{ number: phone }], customFields: { [telegramField]: accountId } })
}

/** Adds the contract's example order for a customer. Each field in `changes` replaces a whole field. */
const addExampleOrder = (customerId: number, changes: Partial<OrderInput> = {}, target: Stack = stack) =>
  target.crm.addOrder({
    customer: { id: customerId },
    number: "12345",
    createdAt: "2026-06-01 13:00:00",
    status: "delivering",
    items: [{ quantity: 1, offer: { id: 3001, name: "Миноксидил 5%", displayName: "Миноксидил 5%" } }],
    delivery: { code: "pr-rs", address: { text: "Москва, Тверская" }, data: { trackNumber: "TRACK123456" } },
    ...changes
  })

/** Adds a plain order created at `createdAt` with the given status. */
const addOrder = (customerId: number, createdAt: string, status = "new", target: Stack = stack, id?: number) =>
  target.crm.addOrder({
    ...(id === undefined ? {} : { id }),
    customer: { id: customerId },
    createdAt,
    status,
    items: [{ quantity: 1, productName: "Шампунь" }]
  })

/** RetailCRM requests the service sent while `action` ran, as `METHOD path`. */
const crmCallsDuring = async <A>(action: () => Promise<A>, target: Stack = stack) => {
  const before = target.crm.requests.length
  const result = await action()
  const calls = target.crm.requests.slice(before)
  return { result, calls, paths: calls.map((request) => `${request.method} ${request.path}`) }
}

describe("GET /orders example order", () => {
  it("returns the contract texts", async () => {
    const customer = boundCustomer("ol-example")
    const order = addExampleOrder(customer.id)
    const delivering = stack.crm.statuses().find((status) => status.code === "delivering")

    expect(delivering?.group).toBe("delivery")

    const reply = await listOrders({ channelType: "telegram", messengerUserId: "ol-example" })

    expect(reply.httpStatus).toBe(200)
    expect(reply.body.status).toBe("ok")
    expect(reply.body.customerId).toBe(String(customer.id))
    expect(reply.body.shownCount).toBe(1)
    expect(reply.body.text).toBe(exampleListText)
    expect(reply.body.errorCode).toBeNull()
    expect(reply.body.message).toBeNull()
    expect(shownOrders(reply.body)).toEqual([
      {
        orderNumber: "12345",
        sourceOrderId: String(order.id),
        sourceOrderNumber: "12345",
        createdAt: "2026-06-01T10:00:00Z",
        createdAtText: "01.06.2026",
        itemsText: "• Миноксидил 5% x1",
        deliveryAddressText: "Москва, Тверская",
        statusGroup: "delivery",
        statusLabel: "В доставке",
        deliveryCode: "pr-rs",
        trackingCode: "TRACK123456",
        trackingUrl: "https://www.pochta.ru/tracking?barcode=TRACK123456",
        canTrackOnline: true,
        detailText: exampleDetailText,
        repeatConfirmText: exampleRepeatConfirmText,
        trackingText: exampleTrackingText,
        trackingNumber: "TRACK123456",
        deliveryStatus: "В доставке"
      }
    ])
  })

  it("has exactly the contract fields", async () => {
    const customer = boundCustomer("ol-fields")
    addExampleOrder(customer.id)
    addOrder(customer.id, "2026-05-01 10:00:00", "complete")
    const reply = await listOrders({ channelType: "telegram", messengerUserId: "ol-fields" })

    expect(Object.keys(reply.body).sort()).toEqual([...replyFields].sort())
    expect(shownOrders(reply.body)).toHaveLength(2)
    for (const order of shownOrders(reply.body))
      expect(Object.keys(order).sort()).toEqual([...orderSummaryFields].sort())
  })

  it("reads a CRM [] as empty", async () => {
    const customer = boundCustomer("ol-empty-maps")
    const order = addOrder(customer.id, "2026-05-02 10:00:00")
    stack.crm.addOrder({
      customer: { id: customer.id },
      createdAt: "2026-05-01 10:00:00",
      items: [{ quantity: 1, productName: "Шампунь" }],
      delivery: []
    })
    const wire = await fetch(`${stack.crm.url}/api/v5/orders?filter[customerId]=${customer.id}`, {
      headers: { "X-API-KEY": crmApiKey }
    })
    const wireOrders = ((await wire.json()) as { orders: Array<Record<string, unknown>> }).orders

    // The emulator sends empty maps as `[]`, as RetailCRM does.
    expect(wireOrders.map((wireOrder) => wireOrder.customFields)).toEqual([[], []])
    expect(wireOrders.map((wireOrder) => wireOrder.delivery)).toContainEqual([])

    const reply = await listOrders({ channelType: "telegram", messengerUserId: "ol-empty-maps" })

    expect(reply.body.status).toBe("ok")
    expect(reply.body.shownCount).toBe(2)
    expect(shownIds(reply.body)[0]).toBe(String(order.id))
    expect(shownOrders(reply.body)[1]?.deliveryAddressText).toBeNull()
    expect(shownOrders(reply.body)[1]?.deliveryCode).toBeNull()
    expect(shownOrders(reply.body)[1]?.trackingUrl).toBeNull()
  })
})

describe("GET /orders statuses", () => {
  for (const identityField of ["messengerUserId", "customerExternalId"]) {
    it(`returns empty for no orders (${identityField})`, async () => {
      const accountId = `ol-empty-${identityField}`
      const customer = boundCustomer(accountId)
      const reply = await listOrders({ channelType: "telegram", [identityField]: accountId })

      expect(reply.httpStatus).toBe(200)
      expect(Object.keys(reply.body).sort()).toEqual([...replyFields].sort())
      expect(reply.body).toEqual({
        status: "empty",
        customerId: String(customer.id),
        shownCount: 0,
        orders: [],
        text: emptyText,
        errorCode: null,
        message: null
      })
    })

    it(`reports an unbound account (${identityField})`, async () => {
      const reply = await listOrders({ channelType: "telegram", [identityField]: `ol-nobody-${identityField}` })

      expect(reply.httpStatus).toBe(200)
      expect(Object.keys(reply.body).sort()).toEqual([...replyFields].sort())
      expect(reply.body).toEqual({
        status: "not_authorized",
        customerId: null,
        shownCount: 0,
        orders: [],
        text: null,
        errorCode: null,
        message: null
      })
    })

    it(`rejects a customerId mismatch (${identityField})`, async () => {
      const accountId = `ol-mismatch-${identityField}`
      const customer = boundCustomer(accountId)
      const other = stack.crm.addCustomer({ phones: [{ number: "+7 900 000-00-91" }] })
      addExampleOrder(customer.id)
      addExampleOrder(other.id)
      const reply = await listOrders({
        channelType: "telegram",
        [identityField]: accountId,
        customerId: String(other.id)
      })

      expect(Object.keys(reply.body).sort()).toEqual([...replyFields].sort())
      expect(reply.body.status).toBe("conflict")
      expect(reply.body.errorCode).toBe("customer_mismatch")
      expect(reply.body.message).toBe("Не удалось подтвердить аккаунт. Напишите менеджеру.")
      expect(reply.body.orders).toEqual([])
      expect(reply.body.shownCount).toBe(0)
      expect(reply.body.text).toBeNull()
      expect(reply.body.customerId).toBeNull()
    })

    it(`rejects two holders (${identityField})`, async () => {
      const accountId = `ol-twice-${identityField}`
      const first = boundCustomer(accountId)
      const second = boundCustomer(accountId)
      addExampleOrder(first.id)
      addExampleOrder(second.id)
      const reply = await listOrders({ channelType: "telegram", [identityField]: accountId })

      expect(Object.keys(reply.body).sort()).toEqual([...replyFields].sort())
      expect(reply.body.status).toBe("conflict")
      expect(reply.body.errorCode).toBe("binding_conflict")
      expect(reply.body.message).toBe("Этот аккаунт уже привязан к другому профилю. Напишите менеджеру.")
      expect(reply.body.orders).toEqual([])
      expect(reply.body.shownCount).toBe(0)
      expect(reply.body.text).toBeNull()
      expect(reply.body.customerId).toBeNull()
    })

    it(`reports a failed order list (${identityField})`, async () => {
      const accountId = `ol-crm-down-${identityField}`
      const customer = boundCustomer(accountId)
      addExampleOrder(customer.id)
      stack.crm.injectFault({ path: "/api/v5/orders", status: 500, body: "<html>oops</html>", times: 3 })
      const reply = await listOrders({ channelType: "telegram", [identityField]: accountId })

      expect(reply.httpStatus).toBe(200)
      expect(Object.keys(reply.body).sort()).toEqual([...replyFields].sort())
      expect(reply.body.status).toBe("error")
      expect(reply.body.errorCode).toBe("crm_unavailable")
      expect(reply.body.message).toBe("Сервис временно недоступен. Попробуйте позже.")
      expect(reply.body.orders).toEqual([])
      expect(reply.body.shownCount).toBe(0)
      expect(reply.body.text).toBeNull()
    })

    it(`reports a failed customer search (${identityField})`, async () => {
      const accountId = `ol-search-down-${identityField}`
      boundCustomer(accountId)
      stack.crm.injectFault({ path: "/api/v5/customers", status: 503, body: "<html>busy</html>", times: 3 })
      const reply = await listOrders({ channelType: "telegram", [identityField]: accountId })

      expect(Object.keys(reply.body).sort()).toEqual([...replyFields].sort())
      expect(reply.body.status).toBe("error")
      expect(reply.body.errorCode).toBe("crm_unavailable")
      expect(reply.body.orders).toEqual([])
      expect(reply.body.shownCount).toBe(0)
      expect(reply.body.text).toBeNull()
      expect(reply.body.customerId).toBeNull()
    })
  }

  it("accepts a matching customerId", async () => {
    const customer = boundCustomer("ol-match")
    addExampleOrder(customer.id)
    const reply = await listOrders({
      channelType: "telegram",
      messengerUserId: "ol-match",
      customerId: String(customer.id)
    })

    expect(reply.body.status).toBe("ok")
    expect(reply.body.customerId).toBe(String(customer.id))
  })

  it("rejects a missing channel", async () => {
    const reply = await listOrders({ messengerUserId: "ol-no-channel" })

    expect(Object.keys(reply.body).sort()).toEqual([...replyFields].sort())
    expect(reply.body.status).toBe("error")
    expect(reply.body.errorCode).toBe("missing_identity")
    expect(reply.body.orders).toEqual([])
  })
})

describe("GET /orders order and filters", () => {
  it("sorts oldest-first CRM lists", async () => {
    const customer = boundCustomer("ol-sort-oldest")
    const oldest = addOrder(customer.id, "2026-03-01 10:00:00")
    const newest = addOrder(customer.id, "2026-03-03 10:00:00")
    const middle = addOrder(customer.id, "2026-03-02 10:00:00")
    stack.crm.orderListSort = "oldest"
    const reply = await listOrders({ channelType: "telegram", messengerUserId: "ol-sort-oldest" })

    expect(shownIds(reply.body)).toEqual(idsOf([newest, middle, oldest]))
  })

  it("sorts CRM lists in insertion order", async () => {
    const customer = boundCustomer("ol-sort-insertion")
    const middle = addOrder(customer.id, "2026-03-02 10:00:00")
    const oldest = addOrder(customer.id, "2026-03-01 10:00:00")
    const newest = addOrder(customer.id, "2026-03-03 10:00:00")
    stack.crm.orderListSort = "insertion"
    const reply = await listOrders({ channelType: "telegram", messengerUserId: "ol-sort-insertion" })

    expect(shownIds(reply.body)).toEqual(idsOf([newest, middle, oldest]))
  })

  it("breaks ties by id", async () => {
    const customer = boundCustomer("ol-sort-ties")
    // The ids differ in length, so comparing them as text would put 99999 before 100000.
    const larger = addOrder(customer.id, "2026-03-05 10:00:00", "new", stack, 100_000)
    const smaller = addOrder(customer.id, "2026-03-05 10:00:00", "new", stack, 99_999)
    const older = addOrder(customer.id, "2026-03-04 10:00:00")

    for (const sort of ["newest", "oldest", "insertion"] as const) {
      stack.crm.orderListSort = sort
      const reply = await listOrders({ channelType: "telegram", messengerUserId: "ol-sort-ties" })

      expect(shownIds(reply.body)).toEqual(idsOf([larger, smaller, older]))
    }
  })

  it("drops cancelled orders", async () => {
    const customer = boundCustomer("ol-cancel")
    const visible = addOrder(customer.id, "2026-04-01 10:00:00", "new")
    addOrder(customer.id, "2026-04-02 10:00:00", "no-call")
    addOrder(customer.id, "2026-04-03 10:00:00", "cancel-other")
    const reply = await listOrders({ channelType: "telegram", messengerUserId: "ol-cancel" })

    expect(shownIds(reply.body)).toEqual(idsOf([visible]))
    expect(reply.body.shownCount).toBe(1)
  })

  it("excludes before the limit", async () => {
    const customer = boundCustomer("ol-cancel-limit")
    const first = addOrder(customer.id, "2026-04-01 10:00:00", "new")
    const second = addOrder(customer.id, "2026-04-02 10:00:00", "assembling")
    const third = addOrder(customer.id, "2026-04-03 10:00:00", "complete")
    addOrder(customer.id, "2026-04-04 10:00:00", "no-call")
    const reply = await listOrders({ channelType: "telegram", messengerUserId: "ol-cancel-limit" })

    expect(shownIds(reply.body)).toEqual(idsOf([third, second, first]))
  })

  it("returns empty when all are cancelled", async () => {
    const customer = boundCustomer("ol-all-cancelled")
    addOrder(customer.id, "2026-04-02 10:00:00", "no-call")
    const reply = await listOrders({ channelType: "telegram", messengerUserId: "ol-all-cancelled" })

    expect(reply.body.status).toBe("empty")
    expect(reply.body.text).toBe(emptyText)
    expect(reply.body.orders).toEqual([])
    expect(reply.body.shownCount).toBe(0)
  })

  it("maps status groups to labels", async () => {
    const customer = boundCustomer("ol-groups")
    addOrder(customer.id, "2026-04-01 10:00:00", "new")
    addOrder(customer.id, "2026-04-02 10:00:00", "delivering")
    addOrder(customer.id, "2026-04-03 10:00:00", "complete")
    const reply = await listOrders({ channelType: "telegram", messengerUserId: "ol-groups" })
    const orders = shownOrders(reply.body)

    expect(orders.map((order) => order.statusGroup)).toEqual(["complete", "delivery", "assembling"])
    expect(orders.map((order) => order.statusLabel)).toEqual(["Выполнен", "В доставке", "Собирается"])
    expect(reply.body.text).toContain("✅ Заказ выполнен")
    expect(reply.body.text).toContain("🚚 Уже едет к вам")
    expect(reply.body.text).toContain("📦 Собираем заказ")
  })

  it("shows only the customer's orders", async () => {
    const customer = boundCustomer("ol-own")
    const other = stack.crm.addCustomer({ phones: [{ number: "+7 900 000-00-92" }] })
    const own = addOrder(customer.id, "2026-04-01 10:00:00")
    const foreign = addOrder(other.id, "2026-04-02 10:00:00")
    const reply = await listOrders({ channelType: "telegram", messengerUserId: "ol-own" })

    expect(shownIds(reply.body)).toEqual(idsOf([own]))
    expect(shownIds(reply.body)).not.toContain(String(foreign.id))
  })

  it("drops foreign orders the CRM returns", async () => {
    const customer = boundCustomer("ol-foreign")
    const other = stack.crm.addCustomer({ phones: [{ number: "+7 900 000-00-93" }] })
    const own = addOrder(customer.id, "2026-04-01 10:00:00")
    const foreign = addOrder(other.id, "2026-04-02 10:00:00")
    // A CRM filter that matched loosely would send another customer's order too.
    const body = JSON.stringify({
      success: true,
      pagination: { limit: 20, totalCount: 2, currentPage: 1, totalPageCount: 1 },
      orders: [foreign, own]
    })
    stack.crm.injectFault({ path: "/api/v5/orders", status: 200, body })
    const reply = await listOrders({ channelType: "telegram", messengerUserId: "ol-foreign" })

    expect(reply.body.status).toBe("ok")
    expect(shownIds(reply.body)).toEqual(idsOf([own]))
  })
})

describe("GET /orders limit", () => {
  const accountId = "ol-limit"
  let ids: ReadonlyArray<string> = []

  beforeAll(() => {
    const customer = boundCustomer(accountId)
    const orders = [1, 2, 3, 4, 5, 6, 7].map((day) => addOrder(customer.id, `2026-02-0${day} 10:00:00`))
    ids = idsOf(orders.reverse())
  })

  const cases: ReadonlyArray<readonly [string, string | undefined, number]> = [
    ["defaults to 3", undefined, 3],
    ["takes 1", "1", 1],
    ["takes 5", "5", 5],
    ["clamps 0 to 1", "0", 1],
    ["clamps -2 to 1", "-2", 1],
    ["clamps 9 to 5", "9", 5],
    ["ignores non-numeric", "abc", 3],
    ["ignores a placeholder", "{{limit}}", 3]
  ]

  for (const [name, limit, count] of cases) {
    it(name, async () => {
      const reply = await listOrders({ channelType: "telegram", messengerUserId: accountId, limit })

      expect(reply.body.status).toBe("ok")
      expect(reply.body.shownCount).toBe(count)
      expect(shownIds(reply.body)).toEqual(ids.slice(0, count))
    })
  }
})

describe("GET /orders RetailCRM calls", () => {
  it("asks for 20 orders by default", async () => {
    const customer = boundCustomer("ol-lookback-default")
    const { calls } = await crmCallsDuring(() =>
      listOrders({ channelType: "telegram", messengerUserId: "ol-lookback-default" })
    )
    const list = calls.find((request) => request.path === "/api/v5/orders")

    expect(list?.query.get("limit")).toBe("20")
    expect(list?.query.get("filter[customerId]")).toBe(String(customer.id))
  })

  it("makes two calls when warm", async () => {
    const customer = boundCustomer("ol-budget")
    addExampleOrder(customer.id)
    const first = await listOrders({ channelType: "telegram", messengerUserId: "ol-budget" })

    expect(first.body.status).toBe("ok")
    expect(stack.crm.customer(customer.id)?.customFields.chatbot_interacted).toBe(true)

    const { result, paths } = await crmCallsDuring(() =>
      listOrders({ channelType: "telegram", messengerUserId: "ol-budget" })
    )

    expect(result.body.status).toBe("ok")
    expect(paths).toEqual(["GET /api/v5/customers", "GET /api/v5/orders"])
  })

  it("caches the reference data", async () => {
    const customer = boundCustomer("ol-reference")
    addExampleOrder(customer.id)
    await listOrders({ channelType: "telegram", messengerUserId: "ol-reference" })
    const { result, paths } = await crmCallsDuring(async () => {
      await listOrders({ channelType: "telegram", messengerUserId: "ol-reference" })
      return listOrders({ channelType: "telegram", messengerUserId: "ol-reference" })
    })

    expect(result.body.status).toBe("ok")
    expect(paths).not.toContain("GET /api/v5/reference/statuses")
    expect(paths).not.toContain("GET /api/v5/reference/status-groups")
  })

  it("fetches reference data once", () => {
    const fetchesOf = (path: string) => stack.crm.requests.filter((request) => request.path === path)

    expect(fetchesOf("/api/v5/reference/statuses")).toHaveLength(1)
    expect(fetchesOf("/api/v5/reference/status-groups")).toHaveLength(1)
  })
})

describe("GET /orders settings", () => {
  let configured: Stack

  beforeAll(async () => {
    configured = await Stack.start({
      sqlitePath: tempDatabase(),
      env: {
        ORDERS_MAX_LOOKBACK: "50",
        RETAILCRM_ORDER_EXCLUDED_STATUS_CODES: "client-confirmed, redirect",
        RETAILCRM_ORDER_EXCLUDED_STATUS_NAMES: "Наличие подтверждено",
        RETAILCRM_ORDER_GROUP_COMPLETE_NAMES: "Комплектация",
        RETAILCRM_ORDER_GROUP_DELIVERY_NAMES: "Новый"
      }
    })
  })

  afterAll(() => configured.close())

  it("sends limit=50 to the CRM", async () => {
    boundCustomer("ol-lookback-50", configured)
    const { calls } = await crmCallsDuring(
      () => listOrders({ channelType: "telegram", messengerUserId: "ol-lookback-50" }, configured),
      configured
    )
    const list = calls.find((request) => request.path === "/api/v5/orders")

    expect(list?.query.get("limit")).toBe("50")
  })

  it("excludes by status code", async () => {
    const customer = boundCustomer("ol-exclude-code", configured)
    const visible = addOrder(customer.id, "2026-04-01 10:00:00", "complete", configured)
    addOrder(customer.id, "2026-04-02 10:00:00", "client-confirmed", configured)
    addOrder(customer.id, "2026-04-03 10:00:00", "redirect", configured)
    const reply = await listOrders({ channelType: "telegram", messengerUserId: "ol-exclude-code" }, configured)

    expect(shownIds(reply.body)).toEqual(idsOf([visible]))
  })

  it("excludes by status name", async () => {
    const customer = boundCustomer("ol-exclude-name", configured)
    const visible = addOrder(customer.id, "2026-04-01 10:00:00", "complete", configured)
    addOrder(customer.id, "2026-04-02 10:00:00", "availability-confirmed", configured)
    const reply = await listOrders({ channelType: "telegram", messengerUserId: "ol-exclude-name" }, configured)

    expect(shownIds(reply.body)).toEqual(idsOf([visible]))
  })

  it("still drops cancelled orders", async () => {
    const customer = boundCustomer("ol-exclude-group", configured)
    const visible = addOrder(customer.id, "2026-04-01 10:00:00", "complete", configured)
    addOrder(customer.id, "2026-04-02 10:00:00", "no-product", configured)
    const reply = await listOrders({ channelType: "telegram", messengerUserId: "ol-exclude-group" }, configured)

    expect(shownIds(reply.body)).toEqual(idsOf([visible]))
  })

  it("reads group names", async () => {
    const customer = boundCustomer("ol-group-names", configured)
    const assembling = addOrder(customer.id, "2026-04-03 10:00:00", "assembling", configured)
    const fresh = addOrder(customer.id, "2026-04-02 10:00:00", "new", configured)
    const done = addOrder(customer.id, "2026-04-01 10:00:00", "complete", configured)
    const reply = await listOrders({ channelType: "telegram", messengerUserId: "ol-group-names" }, configured)
    const orders = shownOrders(reply.body)

    expect(shownIds(reply.body)).toEqual(idsOf([assembling, fresh, done]))
    expect(orders.map((order) => order.statusGroup)).toEqual(["complete", "delivery", "complete"])
    expect(orders.map((order) => order.statusLabel)).toEqual(["Выполнен", "В доставке", "Выполнен"])
  })
})
