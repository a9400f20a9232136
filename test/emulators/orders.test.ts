import { afterEach, beforeEach, describe, expect, it } from "vitest"
import type { Order, Product, Status, StatusGroup } from "./retailcrm.js"
import { RetailCrmEmulator } from "./retailcrm.js"

const apiKey = "crm-orders-test-key"

interface Pagination {
  limit: number
  totalCount: number
  currentPage: number
  totalPageCount: number
}

// Only the fields the tests read are typed. A missing field fails the assertion that reads it.
interface CrmBody {
  success: boolean
  errorMsg?: string
  errors?: Record<string, string>
  id: number
  order: Order
  orders: Order[]
  products: Product[]
  statuses: Record<string, Status>
  statusGroups: Record<string, StatusGroup>
  pagination: Pagination
}

async function crmJson(response: Response): Promise<CrmBody> {
  return (await response.json()) as CrmBody
}

let crm: RetailCrmEmulator

beforeEach(async () => {
  crm = await RetailCrmEmulator.start({ apiKey, site: "shop-one" })
})

afterEach(async () => {
  await crm.close()
})

function get(path: string): Promise<Response> {
  return fetch(`${crm.url}${path}`, { headers: { "x-api-key": apiKey } })
}

function post(path: string, fields: Record<string, string>): Promise<Response> {
  return fetch(`${crm.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-api-key": apiKey },
    body: new URLSearchParams(fields).toString()
  })
}

function createOrder(order: unknown, site = "shop-one"): Promise<Response> {
  return post("/api/v5/orders/create", { site, order: JSON.stringify(order) })
}

async function orderIds(path: string): Promise<number[]> {
  const response = await get(path)
  expect(response.status).toBe(200)
  return (await crmJson(response)).orders.map((order) => order.id)
}

async function productIds(path: string): Promise<number[]> {
  const response = await get(path)
  expect(response.status).toBe(200)
  return (await crmJson(response)).products.map((product) => product.id)
}

/** Converts an order from the emulator's helpers to its wire form, where an empty map is `[]`. */
function asWire(value: unknown): unknown {
  const emptyMapAsArray = (_key: string, item: unknown): unknown =>
    typeof item === "object" && item !== null && !Array.isArray(item) && Object.keys(item).length === 0 ? [] : item
  return JSON.parse(JSON.stringify(value, emptyMapAsArray))
}

/** Reads a `Y-m-d H:i:s` string as if it were UTC and returns milliseconds since the epoch. */
function wallClockMillis(text: string): number {
  return Date.parse(`${text.replace(" ", "T")}Z`)
}

describe("RetailCrmEmulator reference data", () => {
  it("sends statuses keyed by code", async () => {
    const response = await get("/api/v5/reference/statuses")
    expect(response.status).toBe(200)
    const body = await crmJson(response)
    expect(body.success).toBe(true)
    expect(body.statuses.new).toEqual({ name: "Новый", code: "new", active: true, ordering: 10, group: "new" })
    const groupOf = (code: string) => body.statuses[code]?.group
    expect(groupOf("assembling")).toBe("assembling")
    expect(groupOf("send-to-delivery")).toBe("delivery")
    expect(groupOf("delivering")).toBe("delivery")
    expect(groupOf("complete")).toBe("complete")
    expect(groupOf("cancel-other")).toBe("cancel")
  })

  it("sends default status groups", async () => {
    const response = await get("/api/v5/reference/status-groups")
    expect(response.status).toBe(200)
    const groups = (await crmJson(response)).statusGroups
    expect(Object.keys(groups)).toEqual(["new", "approval", "assembling", "delivery", "complete", "cancel"])
    const names = Object.values(groups).map((group) => group.name)
    expect(names).toEqual(["Новый", "Согласование", "Комплектация", "Доставка", "Выполнен", "Отменен"])
    expect(groups.delivery).toMatchObject({ code: "delivery", active: true, ordering: 40, process: true })
    expect(groups.delivery?.statuses).toEqual(["send-to-delivery", "delivering", "redirect"])
    expect(groups.cancel?.statuses).toContain("cancel-other")
    for (const group of Object.values(groups)) expect(group.statuses.length).toBeGreaterThan(0)
  })

  it("adds status to its group", async () => {
    crm.addStatus({ code: "ruchnaia-obrabotka", name: "Ручная обработка", group: "new" })
    crm.addStatus({ code: "archived", name: "Архив", group: "cancel", active: false, ordering: 5 })

    const statuses = (await crmJson(await get("/api/v5/reference/statuses"))).statuses
    expect(statuses["ruchnaia-obrabotka"]).toEqual({
      name: "Ручная обработка",
      code: "ruchnaia-obrabotka",
      active: true,
      ordering: 990,
      group: "new"
    })
    expect(statuses.archived?.active).toBe(false)

    const groups = (await crmJson(await get("/api/v5/reference/status-groups"))).statusGroups
    expect(groups.new?.statuses).toEqual(["new", "ruchnaia-obrabotka"])
    expect(groups.cancel?.statuses[0]).toBe("archived")
  })

  it("replaces statuses with setStatuses", async () => {
    crm.setStatuses([
      { code: "only-new", name: "Только новый", group: "new" },
      { code: "only-done", name: "Готово", group: "complete" }
    ])
    const statuses = (await crmJson(await get("/api/v5/reference/statuses"))).statuses
    expect(Object.keys(statuses)).toEqual(["only-new", "only-done"])
    const groups = (await crmJson(await get("/api/v5/reference/status-groups"))).statusGroups
    expect(groups.delivery?.statuses).toEqual([])
    expect(groups.complete?.statuses).toEqual(["only-done"])
  })

  it("rejects status in unknown group", () => {
    expect(() => crm.addStatus({ code: "x", name: "X", group: "nowhere" })).toThrow(/unknown group "nowhere"/)
    expect(() => crm.setStatuses([{ code: "y", name: "Y", group: "nowhere" }])).toThrow(/unknown group/)
    expect(crm.statuses().map((status) => status.code)).toContain("new")
  })
})

describe("RetailCrmEmulator catalogue", () => {
  it("assigns product and offer ids", () => {
    const product = crm.addProduct({ name: "Шампунь", article: "SH-1" })
    expect(product).toEqual({
      id: 2001,
      name: "Шампунь",
      article: "SH-1",
      active: true,
      offers: [
        { id: 3001, name: "Шампунь", displayName: "Шампунь", article: "SH-1", active: true, quantity: 100, price: 1000 }
      ]
    })
    const second = crm.addProduct({ offers: [{ name: "A" }, { id: 3500, name: "B" }, { name: "C" }] })
    expect(second.id).toBe(2002)
    expect(second.offers.map((offer) => offer.id)).toEqual([3002, 3500, 3501])
    expect(() => crm.addProduct({ offers: [{ id: 3001 }] })).toThrow(/Offer 3001 already exists/)
  })

  it("filters products by name or article", async () => {
    const byName = crm.addProduct({ name: "Миноксидил 5% лосьон", article: "MX-5" })
    const byOfferArticle = crm.addProduct({
      name: "Набор для волос",
      offers: [
        { name: "Набор малый", article: "SET-M-BASIC" },
        { name: "Набор большой", article: "SET-M-PLUS" }
      ]
    })
    crm.addProduct({ name: "Крем для рук", article: "HAND-1" })

    expect(await productIds("/api/v5/store/products?filter[name]=миноксидил")).toEqual([byName.id])
    expect(await productIds("/api/v5/store/products?filter[name]=mx-5")).toEqual([byName.id])
    expect(await productIds("/api/v5/store/products?filter[name]=SET-M-BASIC")).toEqual([byOfferArticle.id])
    expect(await productIds("/api/v5/store/products?filter[name]=set-m")).toEqual([byOfferArticle.id])
    expect(await productIds("/api/v5/store/products?filter[name]=nothing-like-this")).toEqual([])
  })

  it("filters products by ids and active", async () => {
    const first = crm.addProduct()
    const inactive = crm.addProduct({ active: false })
    const third = crm.addProduct()

    const query = `filter[ids][]=${first.id}&filter[ids][]=${inactive.id}`
    expect(await productIds(`/api/v5/store/products?${query}`)).toEqual([first.id, inactive.id])
    expect(await productIds("/api/v5/store/products?filter[active]=1")).toEqual([first.id, third.id])
    expect(await productIds("/api/v5/store/products?filter[active]=0")).toEqual([inactive.id])

    const invalid = await get("/api/v5/store/products?filter[active]=yes")
    expect(invalid.status).toBe(400)
    expect((await crmJson(invalid)).errors).toHaveProperty("filter[active]")
  })

  it("filters products by offer fields", async () => {
    const product = crm.addProduct({ offers: [{ externalId: "ext-77", xmlId: "xml-77" }] })
    crm.addProduct()
    const offerId = product.offers[0]?.id
    expect(await productIds(`/api/v5/store/products?filter[offerIds][]=${offerId}`)).toEqual([product.id])
    expect(await productIds("/api/v5/store/products?filter[offerExternalId]=ext-77")).toEqual([product.id])
    expect(await productIds("/api/v5/store/products?filter[offerXmlId]=xml-77")).toEqual([product.id])
  })

  it("paginates products and checks limit", async () => {
    for (let index = 0; index < 23; index += 1) crm.addProduct()
    const response = await get("/api/v5/store/products?limit=20&page=2")
    const body = await crmJson(response)
    expect(body.pagination).toEqual({ limit: 20, totalCount: 23, currentPage: 2, totalPageCount: 2 })
    expect(body.products).toHaveLength(3)

    const rejected = await get("/api/v5/store/products?limit=25")
    expect(rejected.status).toBe(400)
    expect((await crmJson(rejected)).errors).toHaveProperty("limit")
  })

  it("rejects unknown product filter", async () => {
    const response = await get("/api/v5/store/products?filter[article]=SH-1")
    expect(response.status).toBe(400)
    expect((await crmJson(response)).errorMsg).toBe("Errors in the input parameters")
  })
})

describe("RetailCrmEmulator stored orders", () => {
  it("assigns defaults to added orders", () => {
    const customer = crm.addCustomer({
      firstName: "Anna",
      lastName: "Testova",
      email: "anna@example.com",
      phones: [{ number: "+79000000041" }]
    })
    const order = crm.addOrder({ customer: { id: customer.id } })
    expect(order.id).toBe(5001)
    expect(order.number).toBe("5001C")
    expect(order.site).toBe("shop-one")
    expect(order.status).toBe("new")
    expect(order.fromApi).toBe(false)
    expect(order.createdAt).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
    expect(order).toMatchObject({
      firstName: "Anna",
      lastName: "Testova",
      phone: "+79000000041",
      email: "anna@example.com"
    })
    expect(crm.addOrder({ customer: { id: customer.id } }).id).toBe(5002)
    expect(crm.orders().map((stored) => stored.id)).toEqual([5001, 5002])
  })

  it("writes createdAt in its time zone", async () => {
    const vladivostok = await RetailCrmEmulator.start({ apiKey, timeZone: "Asia/Vladivostok" })
    try {
      const order = vladivostok.addOrder({ customer: { id: 1 } })
      const offsetMillis = wallClockMillis(order.createdAt) - Date.now()
      // Vladivostok is UTC+10 with no daylight saving time.
      expect(Math.abs(offsetMillis - 10 * 3_600_000)).toBeLessThan(5_000)
    } finally {
      await vladivostok.close()
    }

    const moscowOrder = crm.addOrder({ customer: { id: 1 } })
    const moscowOffset = wallClockMillis(moscowOrder.createdAt) - Date.now()
    expect(Math.abs(moscowOffset - 3 * 3_600_000)).toBeLessThan(5_000)
  })

  it("rejects unknown time zone", async () => {
    await expect(RetailCrmEmulator.start({ apiKey, timeZone: "Mars/Olympus" })).rejects.toThrow()
  })

  it("embeds customer when it exists", async () => {
    const customer = crm.addCustomer({ phones: [{ number: "+79000000042" }] })
    const known = crm.addOrder({ customer: { id: customer.id } })
    const unknown = crm.addOrder({ customer: { id: 424242 } })

    const knownBody = await crmJson(await get(`/api/v5/orders/${known.id}?by=id`))
    expect(knownBody.order.customer).toEqual({ ...customer, customFields: [] })
    const unknownBody = await crmJson(await get(`/api/v5/orders/${unknown.id}?by=id`))
    expect(unknownBody.order.customer).toEqual({ type: "customer", id: 424242 })
  })

  it("copies catalogue offer into items", () => {
    const product = crm.addProduct({
      name: "Миноксидил",
      offers: [{ name: "Миноксидил 5%", displayName: "Миноксидил 5% 60 мл", article: "MX-5", price: 1490 }]
    })
    const offer = product.offers[0]
    if (offer === undefined) throw new Error("the product has no offer")
    const order = crm.addOrder({
      customer: { id: 1 },
      items: [
        { offer: { id: offer.id }, quantity: 2 },
        { productName: "Подарок", initialPrice: 0 }
      ]
    })
    expect(order.items).toEqual([
      {
        id: 7001,
        quantity: 2,
        initialPrice: 1490,
        prices: [{ price: 1490, quantity: 2 }],
        offer: { id: offer.id, name: "Миноксидил 5%", displayName: "Миноксидил 5% 60 мл", article: "MX-5" }
      },
      { id: 7002, quantity: 1, productName: "Подарок", initialPrice: 0, prices: [{ price: 0, quantity: 1 }] }
    ])
  })

  it("sends empty maps as arrays", async () => {
    const plain = crm.addOrder({ customer: { id: 1 }, delivery: { code: "pr-rs", data: {} } })
    const text = await (await get(`/api/v5/orders/${plain.id}?by=id`)).text()
    expect(text).toContain('"customFields":[]')
    expect(text).toContain('"payments":[]')
    expect(text).toContain('"data":[]')
  })

  it("sends delivery or address as array", async () => {
    const noDelivery = crm.addOrder({ customer: { id: 1 }, delivery: [] })
    const noAddress = crm.addOrder({ customer: { id: 1 }, delivery: { code: "5post", address: [] } })
    const emptyAddress = crm.addOrder({ customer: { id: 1 }, delivery: { code: "5post", address: {} } })

    const first = await crmJson(await get(`/api/v5/orders/${noDelivery.id}?by=id`))
    expect(first.order.delivery).toEqual([])
    const second = await crmJson(await get(`/api/v5/orders/${noAddress.id}?by=id`))
    expect(second.order.delivery).toEqual({ code: "5post", address: [] })
    const third = await crmJson(await get(`/api/v5/orders/${emptyAddress.id}?by=id`))
    expect(third.order.delivery).toEqual({ code: "5post", address: [] })
  })

  it("keeps delivery tracking fields", async () => {
    const order = crm.addOrder({
      customer: { id: 1 },
      delivery: {
        code: "pr-rs",
        integrationCode: "russianpost",
        trackNumber: "TRACK-1",
        address: { city: "Москва", street: "Тверская", text: "Москва, Тверская" },
        data: { trackNumber: "TRACK-2" },
        service: { name: "Почта", code: "post", active: true }
      }
    })
    const body = await crmJson(await get(`/api/v5/orders/${order.id}?by=id`))
    expect(body.order.delivery).toEqual(order.delivery)
  })
})

describe("RetailCrmEmulator order list", () => {
  it("filters by customerId", async () => {
    const first = crm.addOrder({ customer: { id: 11 } })
    crm.addOrder({ customer: { id: 12 } })
    const third = crm.addOrder({ customer: { id: 11 } })
    expect(await orderIds("/api/v5/orders?filter[customerId]=11")).toEqual([third.id, first.id])
  })

  it("filters by numbers and ids", async () => {
    const first = crm.addOrder({ customer: { id: 1 }, number: "A-100" })
    const second = crm.addOrder({ customer: { id: 1 }, number: "A-200" })
    crm.addOrder({ customer: { id: 1 }, number: "A-300" })

    const numbers = "filter[numbers][]=A-100&filter[numbers][]=A-200"
    expect(await orderIds(`/api/v5/orders?${numbers}`)).toEqual([second.id, first.id])
    expect(await orderIds(`/api/v5/orders?filter[ids][]=${first.id}`)).toEqual([first.id])
    // PHP clients send indexed array keys.
    expect(await orderIds(`/api/v5/orders?filter[ids][0]=${second.id}`)).toEqual([second.id])
  })

  it("filters by sites", async () => {
    const one = crm.addOrder({ customer: { id: 1 } })
    const two = crm.addOrder({ customer: { id: 1 }, site: "shop-two" })
    expect(await orderIds("/api/v5/orders?filter[sites][]=shop-two")).toEqual([two.id])
    expect(await orderIds("/api/v5/orders?filter[sites][]=shop-one")).toEqual([one.id])
  })

  it("filters by createdAtFrom", async () => {
    crm.addOrder({ customer: { id: 1 }, createdAt: "2026-05-31 23:59:59" })
    const atMidnight = crm.addOrder({ customer: { id: 1 }, createdAt: "2026-06-01 00:00:00" })
    const later = crm.addOrder({ customer: { id: 1 }, createdAt: "2026-06-01 13:00:00" })

    expect(await orderIds("/api/v5/orders?filter[createdAtFrom]=2026-06-01")).toEqual([later.id, atMidnight.id])
    const exact = encodeURIComponent("2026-06-01 13:00:00")
    expect(await orderIds(`/api/v5/orders?filter[createdAtFrom]=${exact}`)).toEqual([later.id])

    const invalid = await get("/api/v5/orders?filter[createdAtFrom]=01.06.2026")
    expect(invalid.status).toBe(400)
    expect((await crmJson(invalid)).errors).toHaveProperty("filter[createdAtFrom]")
  })

  it("combines customer and date filters", async () => {
    crm.addOrder({ customer: { id: 21 }, createdAt: "2026-06-01 10:00:00" })
    const match = crm.addOrder({ customer: { id: 21 }, createdAt: "2026-06-02 10:00:00" })
    crm.addOrder({ customer: { id: 22 }, createdAt: "2026-06-02 10:00:00" })
    const query = `filter[customerId]=21&filter[createdAtFrom]=${encodeURIComponent("2026-06-01 12:00:00")}`
    expect(await orderIds(`/api/v5/orders?${query}`)).toEqual([match.id])
  })

  it("rejects unknown order filter", async () => {
    const response = await get("/api/v5/orders?filter[customerPhone]=79000000001")
    expect(response.status).toBe(400)
    expect((await crmJson(response)).errors).toHaveProperty("filter[customerPhone]")
  })

  it("validates order list limit", async () => {
    for (const limit of ["20", "50", "100"]) {
      const response = await get(`/api/v5/orders?limit=${limit}`)
      expect(response.status).toBe(200)
      expect((await crmJson(response)).pagination.limit).toBe(Number(limit))
    }
    for (const limit of ["5", "250", "300"]) {
      const rejected = await get(`/api/v5/orders?limit=${limit}`)
      expect(rejected.status).toBe(400)
      const body = await crmJson(rejected)
      expect(body.errorMsg).toBe("Errors in the input parameters")
      expect(body.errors).toHaveProperty("limit")
    }
  })

  it("paginates order lists", async () => {
    for (let index = 0; index < 22; index += 1) crm.addOrder({ customer: { id: 1 } })
    const body = await crmJson(await get("/api/v5/orders?page=2"))
    expect(body.pagination).toEqual({ limit: 20, totalCount: 22, currentPage: 2, totalPageCount: 2 })
    expect(body.orders.map((order) => order.id)).toEqual([5002, 5001])
  })

  it("sorts newest first by default", async () => {
    const older = crm.addOrder({ customer: { id: 1 }, createdAt: "2026-06-01 10:00:00" })
    const newest = crm.addOrder({ customer: { id: 1 }, createdAt: "2026-06-03 10:00:00" })
    const tieLater = crm.addOrder({ id: 6001, customer: { id: 1 }, createdAt: "2026-06-02 10:00:00" })
    const tieEarlier = crm.addOrder({ id: 6000, customer: { id: 1 }, createdAt: "2026-06-02 10:00:00" })
    expect(await orderIds("/api/v5/orders")).toEqual([newest.id, tieLater.id, tieEarlier.id, older.id])
  })

  it("switches sort after start", async () => {
    const middle = crm.addOrder({ customer: { id: 1 }, createdAt: "2026-06-02 10:00:00" })
    const oldest = crm.addOrder({ customer: { id: 1 }, createdAt: "2026-06-01 10:00:00" })
    const newest = crm.addOrder({ customer: { id: 1 }, createdAt: "2026-06-03 10:00:00" })

    crm.orderListSort = "oldest"
    expect(await orderIds("/api/v5/orders")).toEqual([oldest.id, middle.id, newest.id])
    crm.orderListSort = "insertion"
    expect(await orderIds("/api/v5/orders")).toEqual([middle.id, oldest.id, newest.id])
    crm.orderListSort = "newest"
    expect(await orderIds("/api/v5/orders")).toEqual([newest.id, middle.id, oldest.id])
  })

  it("takes sort from start options", async () => {
    const oldestFirst = await RetailCrmEmulator.start({ apiKey, orderListSort: "oldest" })
    try {
      oldestFirst.addOrder({ customer: { id: 1 }, createdAt: "2026-06-02 10:00:00" })
      oldestFirst.addOrder({ customer: { id: 1 }, createdAt: "2026-06-01 10:00:00" })
      const response = await fetch(`${oldestFirst.url}/api/v5/orders`, { headers: { "x-api-key": apiKey } })
      expect((await crmJson(response)).orders.map((order) => order.id)).toEqual([5002, 5001])
    } finally {
      await oldestFirst.close()
    }
  })
})

describe("RetailCrmEmulator order get", () => {
  it("gets by externalId by default", async () => {
    const order = crm.addOrder({ customer: { id: 1 }, externalId: "shop-order-1" })
    const byExternal = await get("/api/v5/orders/shop-order-1")
    expect(byExternal.status).toBe(200)
    expect((await crmJson(byExternal)).order.id).toBe(order.id)

    const idWithoutBy = await get(`/api/v5/orders/${order.id}`)
    expect(idWithoutBy.status).toBe(404)
    expect(await crmJson(idWithoutBy)).toEqual({ success: false, errorMsg: "Not found" })

    const byId = await get(`/api/v5/orders/${order.id}?by=id`)
    expect(byId.status).toBe(200)
    expect((await crmJson(byId)).order).toEqual(asWire(order))
  })

  it("narrows externalId by site", async () => {
    crm.addOrder({ customer: { id: 1 }, externalId: "same-ext", site: "shop-one" })
    const other = crm.addOrder({ customer: { id: 1 }, externalId: "same-ext", site: "shop-two" })
    const response = await get("/api/v5/orders/same-ext?by=externalId&site=shop-two")
    expect((await crmJson(response)).order.id).toBe(other.id)
  })

  it("returns 404 for missing order", async () => {
    const response = await get("/api/v5/orders/999999?by=id")
    expect(response.status).toBe(404)
    expect(await crmJson(response)).toEqual({ success: false, errorMsg: "Not found" })
  })

  it("rejects by=number", async () => {
    const order = crm.addOrder({ customer: { id: 1 } })
    const response = await get(`/api/v5/orders/${order.number}?by=number`)
    expect(response.status).toBe(400)
  })
})

describe("RetailCrmEmulator order create", () => {
  let customerId: number
  let offerId: number

  beforeEach(() => {
    customerId = crm.addCustomer({ firstName: "Boris", phones: [{ number: "+79000000051" }] }).id
    const product = crm.addProduct({
      name: "Миноксидил",
      offers: [
        {
          name: "Миноксидил 5%",
          displayName: "Миноксидил 5% 60 мл",
          article: "MX-5",
          externalId: "mx5-ext",
          xmlId: "mx5-xml",
          price: 1490
        }
      ]
    })
    offerId = product.offers[0]?.id ?? 0
  })

  it("creates order with 201", async () => {
    const before = Date.now()
    const response = await createOrder({
      number: "CHT00000001-BOT",
      status: "new",
      customer: { id: customerId },
      firstName: "Boris",
      lastName: "Testov",
      phone: "+79000000051",
      customerComment: "Повтор заказа 5001C из чат-бота",
      delivery: { address: { text: "Москва, Тверская" } },
      items: [{ offer: { id: offerId }, quantity: 2 }]
    })
    expect(response.status).toBe(201)
    const body = await crmJson(response)
    expect(body.success).toBe(true)
    expect(body.id).toBe(body.order.id)

    const order = body.order
    expect(order).toMatchObject({
      number: "CHT00000001-BOT",
      status: "new",
      site: "shop-one",
      fromApi: true,
      lastName: "Testov",
      customerComment: "Повтор заказа 5001C из чат-бота",
      delivery: { address: { text: "Москва, Тверская" } }
    })
    expect(order.customer).toMatchObject({ type: "customer", id: customerId, firstName: "Boris" })
    expect(Math.abs(wallClockMillis(order.createdAt) - 3 * 3_600_000 - before)).toBeLessThan(5_000)
    expect(order.items).toHaveLength(1)
    expect(order.items[0]).toMatchObject({
      quantity: 2,
      initialPrice: 1490,
      prices: [{ price: 1490, quantity: 2 }],
      offer: {
        id: offerId,
        externalId: "mx5-ext",
        xmlId: "mx5-xml",
        name: "Миноксидил 5%",
        displayName: "Миноксидил 5% 60 мл",
        article: "MX-5"
      }
    })

    expect(asWire(crm.order(body.id))).toEqual(order)
    expect(crm.createdOrders().map((created) => created.id)).toEqual([body.id])
  })

  it("numbers API orders with A suffix", async () => {
    const response = await createOrder({ customer: { id: customerId } })
    const body = await crmJson(response)
    expect(body.order.number).toBe(`${body.id}A`)
    expect(body.order.status).toBe("new")
  })

  it("finds offer by externalId or xmlId", async () => {
    const byExternal = await createOrder({
      customer: { id: customerId },
      items: [{ offer: { externalId: "mx5-ext" } }]
    })
    expect(byExternal.status).toBe(201)
    expect((await crmJson(byExternal)).order.items[0]?.offer?.id).toBe(offerId)
    const byXml = await createOrder({ customer: { id: customerId }, items: [{ offer: { xmlId: "mx5-xml" } }] })
    expect(byXml.status).toBe(201)
    expect((await crmJson(byXml)).order.items[0]?.offer?.id).toBe(offerId)
  })

  it("keeps client price when sent", async () => {
    const response = await createOrder({
      customer: { id: customerId },
      items: [{ offer: { id: offerId }, initialPrice: 990 }]
    })
    expect((await crmJson(response)).order.items[0]?.initialPrice).toBe(990)
  })

  it("keeps last line per offer", async () => {
    const response = await createOrder({
      customer: { id: customerId },
      items: [
        { offer: { id: offerId }, quantity: 1 },
        { offer: { externalId: "mx5-ext" }, quantity: 3 }
      ]
    })
    const items = (await crmJson(response)).order.items
    expect(items).toHaveLength(1)
    expect(items[0]?.quantity).toBe(3)
  })

  it("rejects unknown customer id", async () => {
    const response = await createOrder({ customer: { id: 987654 } })
    expect(response.status).toBe(400)
    expect(await crmJson(response)).toEqual({
      success: false,
      errorMsg: "Order is not loaded",
      errors: { "customer.id": "Customer with id=987654 not found." }
    })
    expect(crm.createdOrders()).toEqual([])
  })

  it("rejects unknown customer externalId", async () => {
    const response = await createOrder({ customer: { externalId: "2106" } })
    expect(response.status).toBe(400)
    expect((await crmJson(response)).errors).toEqual({
      "customer.externalId": "Customer with externalId=2106 not found."
    })
  })

  it("rejects duplicate number per site", async () => {
    crm.addOrder({ customer: { id: customerId }, number: "CHT12345678-BOT" })
    const duplicate = await createOrder({ customer: { id: customerId }, number: "CHT12345678-BOT" })
    expect(duplicate.status).toBe(400)
    const body = await crmJson(duplicate)
    expect(body.errorMsg).toBe("Order is not loaded")
    expect(body.errors).toEqual({ number: "Order with number CHT12345678-BOT already exists." })

    const otherSite = await createOrder({ customer: { id: customerId }, number: "CHT12345678-BOT" }, "shop-two")
    expect(otherSite.status).toBe(201)
  })

  it("rejects duplicate externalId", async () => {
    crm.addOrder({ customer: { id: customerId }, externalId: "ext-dup" })
    const response = await createOrder({ customer: { id: customerId }, externalId: "ext-dup" })
    expect(response.status).toBe(400)
    expect(await crmJson(response)).toEqual({ success: false, errorMsg: "Order already exists." })
  })

  it("rejects unknown offer", async () => {
    const response = await createOrder({
      customer: { id: customerId },
      items: [{ offer: { id: offerId } }, { offer: { id: 999999 } }, { offer: { externalId: "no-such" } }]
    })
    expect(response.status).toBe(400)
    const body = await crmJson(response)
    expect(body.errorMsg).toBe("Order is not loaded")
    expect(body.errors).toEqual({ "items[1].offer": "Offer not found.", "items[2].offer": "Offer not found." })
    expect(crm.createdOrders()).toEqual([])
  })

  it("rejects unavailable offers", async () => {
    const inactive = crm.addProduct({ offers: [{ active: false }] }).offers[0]?.id
    const outOfStock = crm.addProduct({ offers: [{ quantity: 0 }] }).offers[0]?.id
    const inactiveProduct = crm.addProduct({ active: false }).offers[0]?.id
    const response = await createOrder({
      customer: { id: customerId },
      items: [{ offer: { id: inactive } }, { offer: { id: outOfStock } }, { offer: { id: inactiveProduct } }]
    })
    expect(response.status).toBe(400)
    expect((await crmJson(response)).errors).toEqual({
      "items[0].offer": `Offer with id=${inactive} is not available.`,
      "items[1].offer": `Offer with id=${outOfStock} is not available.`,
      "items[2].offer": `Offer with id=${inactiveProduct} is not available.`
    })
  })

  it("rejects unknown status", async () => {
    const response = await createOrder({ customer: { id: customerId }, status: "ruchnaia-obrabotka" })
    expect(response.status).toBe(400)
    expect((await crmJson(response)).errors).toEqual({
      status: '"Status" with "code"="ruchnaia-obrabotka" does not exist.'
    })

    crm.addStatus({ code: "ruchnaia-obrabotka", name: "Ручная обработка", group: "new" })
    const accepted = await createOrder({ customer: { id: customerId }, status: "ruchnaia-obrabotka" })
    expect(accepted.status).toBe(201)
  })

  it("lists every problem at once", async () => {
    const response = await createOrder({
      customer: { id: 987654 },
      status: "no-such-status",
      items: [{ quantity: 0, offer: { id: 999999 } }, { quantity: 1 }]
    })
    const errors = (await crmJson(response)).errors ?? {}
    expect(Object.keys(errors).sort()).toEqual([
      "customer.id",
      "items[0].offer",
      "items[0].quantity",
      "items[1]",
      "status"
    ])
  })

  it("rejects missing order field", async () => {
    const response = await post("/api/v5/orders/create", { site: "shop-one" })
    expect(response.status).toBe(400)
    expect((await crmJson(response)).errorMsg).toBe("Parameter 'order' is missing")
  })

  it("creates customer when none given", async () => {
    const response = await createOrder({ firstName: "Vera", lastName: "Newova", phone: "+79000000052" })
    expect(response.status).toBe(201)
    const order = (await crmJson(response)).order
    const customer = crm.customer(order.customer.id)
    expect(customer?.phones).toEqual([{ number: "+79000000052" }])
    expect(customer?.site).toBe("shop-one")
  })

  it("creates then replaces reply", async () => {
    crm.injectFault({ method: "POST", path: "/api/v5/orders/create", afterEffect: true, status: 503, body: "" })
    const response = await createOrder({ customer: { id: customerId }, number: "CHT00000002-BOT" })
    expect(response.status).toBe(503)
    expect(crm.createdOrders()).toHaveLength(1)

    const found = await crmJson(await get("/api/v5/orders?filter[numbers][]=CHT00000002-BOT"))
    expect(found.orders.map((order) => order.number)).toEqual(["CHT00000002-BOT"])
  })

  it("creates then drops connection", async () => {
    crm.injectFault({ method: "POST", path: "/api/v5/orders/create", afterEffect: true, dropConnection: true })
    await expect(createOrder({ customer: { id: customerId }, number: "CHT00000003-BOT" })).rejects.toThrow()
    expect(crm.createdOrders().map((order) => order.number)).toEqual(["CHT00000003-BOT"])
  })

  it("skips create without afterEffect", async () => {
    crm.injectFault({ method: "POST", path: "/api/v5/orders/create", status: 503, body: "" })
    const response = await createOrder({ customer: { id: customerId } })
    expect(response.status).toBe(503)
    expect(crm.createdOrders()).toEqual([])
    expect(crm.orders()).toEqual([])
  })
})
