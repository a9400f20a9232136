import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { DeduperEmulator } from "./deduper.js"
import { GreenSmsEmulator } from "./greensms.js"
import { RetailCrmEmulator } from "./retailcrm.js"

const crmKey = "crm-test-key"

interface CrmBody {
  success: boolean
  errorMsg?: string
  errors?: Record<string, string>
  id: number
  customer: { id: number }
  customers: { id: number }[]
  pagination: { limit: number; totalCount: number; currentPage: number; totalPageCount: number }
}

interface GreenSmsBody {
  request_id?: string
  error?: string
  code?: number
}

// Only the fields the tests read are typed. A missing field fails the assertion that reads it.
async function crmJson(response: Response): Promise<CrmBody> {
  return (await response.json()) as CrmBody
}

async function smsJson(response: Response): Promise<GreenSmsBody> {
  return (await response.json()) as GreenSmsBody
}

function form(fields: Record<string, string>): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-api-key": crmKey },
    body: new URLSearchParams(fields).toString()
  }
}

function getWithKey(): RequestInit {
  return { headers: { "x-api-key": crmKey } }
}

describe("RetailCrmEmulator", () => {
  let crm: RetailCrmEmulator

  beforeAll(async () => {
    crm = await RetailCrmEmulator.start({ apiKey: crmKey })
  })

  afterAll(async () => {
    await crm.close()
  })

  beforeEach(() => {
    crm.clearFaults()
    crm.clearRequests()
  })

  it("rejects missing API key", async () => {
    const response = await fetch(`${crm.url}/api/v5/customers`)
    expect(response.status).toBe(403)
    expect(await crmJson(response)).toEqual({ success: false, errorMsg: '"apiKey" is missing.' })
  })

  it("rejects wrong API key", async () => {
    const response = await fetch(`${crm.url}/api/v5/customers?apiKey=wrong`)
    expect(response.status).toBe(403)
    expect(await crmJson(response)).toEqual({ success: false, errorMsg: 'Wrong "apiKey" value.' })
  })

  it("accepts apiKey query parameter", async () => {
    const response = await fetch(`${crm.url}/api/v5/customers?apiKey=${crmKey}`)
    expect(response.status).toBe(200)
  })

  it("accepts apiKey form field", async () => {
    const customer = crm.addCustomer()
    const response = await fetch(`${crm.url}/api/v5/customers/${customer.id}/edit`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ apiKey: crmKey, by: "id", customer: "{}" }).toString()
    })
    expect(response.status).toBe(200)
  })

  it("records request details", async () => {
    await fetch(`${crm.url}/api/v5/customers?limit=50`, getWithKey())
    const recorded = crm.requests.at(-1)
    expect(recorded?.method).toBe("GET")
    expect(recorded?.path).toBe("/api/v5/customers")
    expect(recorded?.query.get("limit")).toBe("50")
    expect(recorded?.headers["x-api-key"]).toBe(crmKey)
  })

  it("returns 404 for unknown route", async () => {
    const response = await fetch(`${crm.url}/api/v5/fake-method`, getWithKey())
    expect(response.status).toBe(404)
    expect(await crmJson(response)).toEqual({ success: false, errorMsg: "API method not found" })
  })

  it("returns 405 for wrong method", async () => {
    const response = await fetch(`${crm.url}/api/v5/customers`, form({}))
    expect(response.status).toBe(405)
    expect(await crmJson(response)).toEqual({ success: false, errorMsg: "Method Not Allowed" })
  })

  it("serialises empty customFields as array", async () => {
    const customer = crm.addCustomer({ phones: [{ number: "79000000001" }] })
    const response = await fetch(`${crm.url}/api/v5/customers/${customer.id}?by=id`, getWithKey())
    const text = await response.text()
    expect(text).toContain('"customFields":[]')
    expect(JSON.parse(text).customer.id).toBe(customer.id)
  })

  it("assigns ids from 1001", async () => {
    const fresh = await RetailCrmEmulator.start({ apiKey: crmKey })
    try {
      expect(fresh.addCustomer().id).toBe(1001)
      expect(fresh.addCustomer({ id: 2000 }).id).toBe(2000)
      expect(fresh.addCustomer().id).toBe(2001)
    } finally {
      await fresh.close()
    }
  })

  it("gets by externalId by default", async () => {
    const customer = crm.addCustomer({ externalId: "ext-default-1" })
    const byExternal = await fetch(`${crm.url}/api/v5/customers/ext-default-1`, getWithKey())
    expect(byExternal.status).toBe(200)
    expect((await crmJson(byExternal)).customer.id).toBe(customer.id)

    const idWithoutBy = await fetch(`${crm.url}/api/v5/customers/${customer.id}`, getWithKey())
    expect(idWithoutBy.status).toBe(404)
    expect(await crmJson(idWithoutBy)).toEqual({ success: false, errorMsg: "Not found" })
  })

  it("rejects unsupported by value", async () => {
    const customer = crm.addCustomer()
    const response = await fetch(`${crm.url}/api/v5/customers/${customer.id}?by=number`, getWithKey())
    expect(response.status).toBe(400)
  })

  it("returns 404 for missing customer", async () => {
    const response = await fetch(`${crm.url}/api/v5/customers/999999?by=id`, getWithKey())
    expect(response.status).toBe(404)
    const edit = await fetch(`${crm.url}/api/v5/customers/999999/edit`, form({ by: "id", customer: "{}" }))
    expect(edit.status).toBe(404)
    expect(await crmJson(edit)).toEqual({ success: false, errorMsg: "Not found" })
  })

  it("filters by name or phone", async () => {
    const anna = crm.addCustomer({ firstName: "Anna", lastName: "Filterova", phones: [{ number: "+7 900 000-00-11" }] })
    crm.addCustomer({ firstName: "Boris", lastName: "Filterov", phones: [{ number: "89000000012" }] })

    const byName = await fetch(`${crm.url}/api/v5/customers?filter[name]=anna%20filter`, getWithKey())
    const names = (await crmJson(byName)).customers.map((customer) => customer.id)
    expect(names).toEqual([anna.id])

    const byPhone = await fetch(`${crm.url}/api/v5/customers?filter[name]=9000000011`, getWithKey())
    const phones = (await crmJson(byPhone)).customers.map((customer) => customer.id)
    expect(phones).toEqual([anna.id])
  })

  it("matches custom fields loosely", async () => {
    const exact = crm.addCustomer({ customFields: { tg_account: "555001" } })
    const longer = crm.addCustomer({ customFields: { tg_account: "X555001X" } })
    crm.addCustomer({ customFields: { tg_account: "777" } })

    const response = await fetch(`${crm.url}/api/v5/customers?filter[customFields][tg_account]=555001`, getWithKey())
    const body = await crmJson(response)
    const ids = body.customers.map((customer) => customer.id)
    expect(ids).toEqual([exact.id, longer.id])
  })

  it("filters by ids", async () => {
    const first = crm.addCustomer()
    crm.addCustomer()
    const third = crm.addCustomer()
    const query = `filter[ids][]=${first.id}&filter[ids][]=${third.id}`
    const response = await fetch(`${crm.url}/api/v5/customers?${query}`, getWithKey())
    const ids = (await crmJson(response)).customers.map((customer) => customer.id)
    expect(ids).toEqual([first.id, third.id])
  })

  it("validates limit values", async () => {
    for (const limit of ["20", "50", "100"]) {
      const response = await fetch(`${crm.url}/api/v5/customers?limit=${limit}`, getWithKey())
      expect(response.status).toBe(200)
      expect((await crmJson(response)).pagination.limit).toBe(Number(limit))
    }
    const rejected = await fetch(`${crm.url}/api/v5/customers?limit=300`, getWithKey())
    expect(rejected.status).toBe(400)
    const body = await crmJson(rejected)
    expect(body.success).toBe(false)
    expect(body.errorMsg).toBe("Errors in the input parameters")
    expect(body.errors).toHaveProperty("limit")
  })

  it("paginates customer lists", async () => {
    const fresh = await RetailCrmEmulator.start({ apiKey: crmKey })
    try {
      for (let index = 0; index < 25; index += 1) fresh.addCustomer()
      const response = await fetch(`${fresh.url}/api/v5/customers?page=2`, getWithKey())
      const body = await crmJson(response)
      expect(body.pagination).toEqual({ limit: 20, totalCount: 25, currentPage: 2, totalPageCount: 2 })
      expect(body.customers).toHaveLength(5)
      expect(body.customers[0]?.id).toBe(1021)
    } finally {
      await fresh.close()
    }
  })

  it("merges and clears custom fields", async () => {
    const customer = crm.addCustomer({ customFields: { keep: "a", drop_empty: "b", drop_null: "c" } })
    const changes = { firstName: "Renamed", customFields: { added: "d", drop_empty: "", drop_null: null } }
    const response = await fetch(
      `${crm.url}/api/v5/customers/${customer.id}/edit`,
      form({ by: "id", customer: JSON.stringify(changes) })
    )
    expect(response.status).toBe(200)
    expect(await crmJson(response)).toEqual({ success: true, id: customer.id })

    const stored = crm.customer(customer.id)
    expect(stored?.firstName).toBe("Renamed")
    expect(stored?.lastName).toBe(customer.lastName)
    expect(stored?.customFields).toEqual({ keep: "a", added: "d" })
  })

  it("clears last custom field to array", async () => {
    const customer = crm.addCustomer({ customFields: { only: "x" } })
    await fetch(
      `${crm.url}/api/v5/customers/${customer.id}/edit`,
      form({ by: "id", customer: JSON.stringify({ customFields: { only: null } }) })
    )
    const response = await fetch(`${crm.url}/api/v5/customers/${customer.id}?by=id`, getWithKey())
    expect(await response.text()).toContain('"customFields":[]')
  })

  it("rejects malformed customer JSON", async () => {
    const customer = crm.addCustomer()
    const response = await fetch(
      `${crm.url}/api/v5/customers/${customer.id}/edit`,
      form({ by: "id", customer: "{not json" })
    )
    expect(response.status).toBe(400)
    expect((await crmJson(response)).errorMsg).toBe("Errors in the entity format")
  })

  it("creates customer with 201", async () => {
    const payload = { firstName: "Vera", lastName: "Newova", phones: [{ number: "79000000021" }] }
    const response = await fetch(
      `${crm.url}/api/v5/customers/create`,
      form({ site: "shop-one", customer: JSON.stringify(payload) })
    )
    expect(response.status).toBe(201)
    const body = await crmJson(response)
    expect(body.success).toBe(true)

    const stored = crm.customer(body.id)
    expect(stored?.site).toBe("shop-one")
    expect(stored?.phones).toEqual([{ number: "79000000021" }])
    expect(stored?.createdAt).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
  })

  it("replaces reply with HTML fault", async () => {
    const page = "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
    crm.injectFault({ path: "/api/v5/customers", status: 503, body: page })

    const faulty = await fetch(`${crm.url}/api/v5/customers`, getWithKey())
    expect(faulty.status).toBe(503)
    expect(faulty.headers.get("content-type")).toContain("text/html")
    expect(await faulty.text()).toBe(page)

    const next = await fetch(`${crm.url}/api/v5/customers`, getWithKey())
    expect(next.status).toBe(200)
  })

  it("skips operation without afterEffect", async () => {
    const customer = crm.addCustomer({ firstName: "Before" })
    crm.injectFault({ method: "POST", path: /\/edit$/, status: 500, body: "" })
    const response = await fetch(
      `${crm.url}/api/v5/customers/${customer.id}/edit`,
      form({ by: "id", customer: JSON.stringify({ firstName: "After" }) })
    )
    expect(response.status).toBe(500)
    expect(crm.customer(customer.id)?.firstName).toBe("Before")
  })

  it("applies edit then drops connection", async () => {
    const customer = crm.addCustomer({ firstName: "Before" })
    crm.injectFault({ method: "POST", path: /\/edit$/, afterEffect: true, dropConnection: true })
    const attempt = fetch(
      `${crm.url}/api/v5/customers/${customer.id}/edit`,
      form({ by: "id", customer: JSON.stringify({ firstName: "After" }) })
    )
    await expect(attempt).rejects.toThrow()
    expect(crm.customer(customer.id)?.firstName).toBe("After")
  })

  it("delays reply past client timeout", async () => {
    const customer = crm.addCustomer({ firstName: "Before" })
    crm.injectFault({ path: /\/edit$/, delayMs: 5_000 })
    const started = Date.now()
    const attempt = fetch(`${crm.url}/api/v5/customers/${customer.id}/edit`, {
      ...form({ by: "id", customer: JSON.stringify({ firstName: "After" }) }),
      signal: AbortSignal.timeout(200)
    })
    await expect(attempt).rejects.toThrow()
    expect(Date.now() - started).toBeLessThan(2_000)

    // The client gave up during the delay, so the edit was never applied.
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(crm.customer(customer.id)?.firstName).toBe("Before")
  })

  it("serves slow reply after delay", async () => {
    crm.injectFault({ path: "/api/v5/customers", delayMs: 150 })
    const started = Date.now()
    const response = await fetch(`${crm.url}/api/v5/customers`, getWithKey())
    expect(response.status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
  })

  it("closes despite pending delay", async () => {
    const fresh = await RetailCrmEmulator.start({ apiKey: crmKey })
    fresh.injectFault({ delayMs: 60_000 })
    const attempt = fetch(`${fresh.url}/api/v5/customers`, getWithKey())
    await new Promise((resolve) => setTimeout(resolve, 50))
    const started = Date.now()
    await fresh.close()
    expect(Date.now() - started).toBeLessThan(1_000)
    await expect(attempt).rejects.toThrow()
  })
})

describe("GreenSmsEmulator", () => {
  let sms: GreenSmsEmulator
  const token = "green-test-token"
  const bearer = { authorization: `Bearer ${token}` }

  beforeAll(async () => {
    sms = await GreenSmsEmulator.start({ token, user: "demo-user", pass: "demo-pass" })
  })

  afterAll(async () => {
    await sms.close()
  })

  beforeEach(() => {
    sms.clearMessages()
    sms.clearFaults()
  })

  function sendJson(route: string, params: Record<string, unknown>, headers: Record<string, string> = bearer) {
    return fetch(`${sms.url}/${route}/send`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(params)
    })
  }

  it("declines missing credentials", async () => {
    const response = await sendJson("sms", { to: "79000000001", txt: "hello" }, {})
    expect(response.status).toBe(401)
    expect(await smsJson(response)).toEqual({ error: "Authorization declined", code: 0 })
  })

  it("declines wrong bearer token", async () => {
    const response = await sendJson("sms", { to: "79000000001", txt: "hello" }, { authorization: "Bearer nope" })
    expect(response.status).toBe(401)
  })

  it("accepts user and pass", async () => {
    const response = await sendJson(
      "sms",
      { to: "79000000001", txt: "hello", user: "demo-user", pass: "demo-pass" },
      {}
    )
    expect(response.status).toBe(200)
  })

  it("reads JSON body params", async () => {
    const response = await sendJson("telegram", { to: "79000000002", txt: "123456", ttl: 300 })
    expect(response.status).toBe(200)
    const body = await smsJson(response)
    expect(body.request_id).toMatch(/^[0-9a-f-]{36}$/)
    const message = sms.lastMessageTo("+7 900 000-00-02")
    expect(message).toMatchObject({ route: "telegram", to: "79000000002", txt: "123456", ttl: 300 })
    expect(message?.requestId).toBe(body.request_id)
  })

  it("reads urlencoded body params", async () => {
    const response = await fetch(`${sms.url}/vk/send`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...bearer },
      body: new URLSearchParams({ to: "79000000003", txt: "Code 4821", from: "Shop" }).toString()
    })
    expect(response.status).toBe(200)
    expect(sms.lastMessageTo("79000000003")).toMatchObject({ route: "vk", from: "Shop" })
  })

  it("reads query string params", async () => {
    const query = new URLSearchParams({
      to: "79000000004",
      txt: "Your code 90817",
      user: "demo-user",
      pass: "demo-pass"
    })
    const response = await fetch(`${sms.url}/sms/send?${query}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" }
    })
    expect(response.status).toBe(200)
    expect(sms.lastCodeTo("79000000004")).toBe("90817")
  })

  it("requires telegram txt digits", async () => {
    for (const txt of ["12a4", "123", "123456789", "Code 1234"]) {
      const response = await sendJson("telegram", { to: "79000000005", txt })
      expect(response.status).toBe(400)
      const body = await smsJson(response)
      expect(body.code).toBe(2)
      expect(typeof body.error).toBe("string")
    }
    expect(sms.messages).toHaveLength(0)
    const accepted = await sendJson("telegram", { to: "79000000005", txt: "1234" })
    expect(accepted.status).toBe(200)
  })

  it("validates phone and sender", async () => {
    const shortPhone = await sendJson("sms", { to: "7900000", txt: "hi" })
    expect(shortPhone.status).toBe(400)
    const plusPhone = await sendJson("sms", { to: "+79000000001", txt: "hi" })
    expect(plusPhone.status).toBe(400)
    const longSender = await sendJson("sms", { to: "79000000001", txt: "hi", from: "TwelveChars1" })
    expect(longSender.status).toBe(400)
    const vkWithoutSender = await sendJson("vk", { to: "79000000001", txt: "hi" })
    expect(vkWithoutSender.status).toBe(400)
    expect((await smsJson(vkWithoutSender)).code).toBe(1)
  })

  it("fails route on demand", async () => {
    sms.failRoute("telegram", { error: "Insufficient funds", code: -1, status: 402 })
    const failed = await sendJson("telegram", { to: "79000000006", txt: "4321" })
    expect(failed.status).toBe(402)
    expect(await smsJson(failed)).toEqual({ error: "Insufficient funds", code: -1 })
    expect(sms.messages).toHaveLength(0)

    const other = await sendJson("sms", { to: "79000000006", txt: "4321" })
    expect(other.status).toBe(200)
    const retried = await sendJson("telegram", { to: "79000000006", txt: "4321" })
    expect(retried.status).toBe(200)
  })

  it("notifies message listeners", async () => {
    const seen: string[] = []
    const stop = sms.onMessage((message) => seen.push(message.txt))
    await sendJson("sms", { to: "79000000007", txt: "first 1111" })
    stop()
    await sendJson("sms", { to: "79000000007", txt: "second 2222" })
    expect(seen).toEqual(["first 1111"])
    expect(sms.lastCodeTo("79000000007")).toBe("2222")
  })

  it("sends then drops connection", async () => {
    sms.injectFault({ path: "/sms/send", afterEffect: true, dropConnection: true })
    await expect(sendJson("sms", { to: "79000000008", txt: "code 5555" })).rejects.toThrow()
    expect(sms.lastCodeTo("79000000008")).toBe("5555")
  })
})

describe("DeduperEmulator", () => {
  let deduper: DeduperEmulator
  const apiKey = "dedupe-test-key"

  beforeAll(async () => {
    deduper = await DeduperEmulator.start({ apiKey })
  })

  afterAll(async () => {
    await deduper.close()
  })

  function resolve(body: unknown, key = apiKey) {
    return fetch(`${deduper.url}/api/dedupe/auto-resolve`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": key },
      body: JSON.stringify(body)
    })
  }

  const request = {
    phone: "79000000031",
    site: "shop-one",
    requestSource: "auth-backend",
    requestId: "9f1c2a3b-0000-4000-8000-000000000001",
    waitForConfirmation: false
  }

  it("rejects wrong API key", async () => {
    const response = await resolve(request, "wrong")
    expect(response.status).toBe(401)
    expect(await crmJson(response)).toEqual({ detail: "invalid api key" })
  })

  it("returns not_found by default", async () => {
    const response = await resolve(request)
    expect(response.status).toBe(200)
    expect(await crmJson(response)).toEqual({
      status: "not_found",
      finalCustomerId: null,
      requestId: request.requestId,
      warnings: []
    })
  })

  it("returns configured result", async () => {
    deduper.setResult("+7 900 000-00-32", { status: "merged", finalCustomerId: 1005, warnings: ["two phones"] })
    const response = await resolve({ ...request, phone: "79000000032" })
    expect(await crmJson(response)).toEqual({
      status: "merged",
      finalCustomerId: 1005,
      requestId: request.requestId,
      warnings: ["two phones"]
    })
  })

  it("requires phone field", async () => {
    const { phone: _phone, ...withoutPhone } = request
    const response = await resolve(withoutPhone)
    expect(response.status).toBe(422)
  })
})
