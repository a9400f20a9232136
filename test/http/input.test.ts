import { afterAll, afterEach, beforeAll, describe, expect, it } from "@effect/vitest"
import { LogLevel } from "effect"
import type { Fields } from "../support/client.js"
import { get, post, replyFields, sleep, tempDatabase } from "../support/client.js"
import { crmApiKey, dedupeApiKey, greenSmsToken, Stack } from "../support/stack.js"

let stack: Stack

beforeAll(async () => {
  stack = await Stack.start({ sqlitePath: tempDatabase(), logLevel: LogLevel.Debug })
})

afterEach(() => {
  stack.crm.clearFaults()
  stack.deduper.clearFaults()
})

afterAll(() => stack.close())

const telegramField = "bot_telegram_account_id"

const invalidRequestMessage = "Не удалось обработать запрос. Попробуйте ещё раз."

interface RawReply {
  readonly httpStatus: number
  readonly contentType: string | null
  readonly requestId: string | null
  readonly text: string
}

/** Sends a request as is and returns the reply without parsing it. */
const send = async (baseUrl: string, path: string, init: RequestInit = {}): Promise<RawReply> => {
  const response = await fetch(`${baseUrl}${path}`, init)
  return {
    httpStatus: response.status,
    contentType: response.headers.get("content-type"),
    requestId: response.headers.get("x-request-id"),
    text: await response.text()
  }
}

const bodyOf = (reply: RawReply) => JSON.parse(reply.text) as Record<string, unknown>

/** POSTs `text` with a JSON content type, so numbers keep the exact spelling written in the test. */
const postJsonText = (path: string, text: string) =>
  send(stack.url, path, { method: "POST", headers: { "content-type": "application/json" }, body: text })

const status = (fields: Fields) => get(stack.url, "/auth/status", fields)

/** JSON log lines of the service, parsed. */
const logLines = (source: Stack = stack) => source.logs.map((line) => JSON.parse(line) as Record<string, unknown>)

/** Waits up to a second for the request log lines with this id, because the server writes the reply first. */
const requestLines = async (requestId: string, source: Stack = stack) => {
  const matching = () => logLines(source).filter((line) => line.message === "request" && line.requestId === requestId)
  for (let attempt = 0; attempt < 50 && matching().length === 0; attempt++) await sleep(20)
  return matching()
}

const boundCustomer = (accountId: string, field = telegramField) =>
  stack.crm.addCustomer({ customFields: { [field]: accountId } })

describe("malformed bodies", () => {
  const endpoints = [
    ["/auth/start", replyFields.start],
    ["/auth/check", replyFields.check],
    ["/auth/resend", replyFields.resend],
    ["/auth/unlink", replyFields.unlink]
  ] as const

  for (const [path, fields] of endpoints) {
    it(`rejects broken JSON on ${path}`, async () => {
      const reply = await postJsonText(path, '{"channelType": "telegram", "messengerUserId": ')
      const body = bodyOf(reply)

      expect(reply.httpStatus).toBe(200)
      expect(reply.contentType).toContain("application/json")
      expect(Object.keys(body).sort()).toEqual([...fields].sort())
      expect(body.status).toBe("error")
      expect(body.errorCode).toBe("invalid_request")
      expect(body.message).toBe(invalidRequestMessage)
    })
  }

  const shapes: ReadonlyArray<[string, string]> = [
    ["a JSON array", '[{"channelType": "telegram", "messengerUserId": "bad-array"}]'],
    ["a JSON string", '"telegram"'],
    ["a JSON null", "null"],
    ["a JSON number", "42"]
  ]

  for (const [name, text] of shapes) {
    it(`rejects ${name} body`, async () => {
      const reply = await postJsonText("/auth/unlink", text)
      const body = bodyOf(reply)

      expect(reply.httpStatus).toBe(200)
      expect(Object.keys(body).sort()).toEqual([...replyFields.unlink].sort())
      expect(body.errorCode).toBe("invalid_request")
    })
  }

  it("rejects invalid UTF-8", async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"channelType": "telegram", "messengerUserId": "'),
      Buffer.from([0xff, 0xfe])
    ])
    const reply = await send(stack.url, "/auth/unlink", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: bytes
    })

    expect(bodyOf(reply).errorCode).toBe("invalid_request")
  })

  it("rejects an object as phone", async () => {
    const before = stack.crm.requests.length
    const reply = await postJsonText(
      "/auth/start",
      '{"phone": {}, "channelType": "telegram", "messengerUserId": "obj-phone"}'
    )
    const body = bodyOf(reply)

    expect(Object.keys(body).sort()).toEqual([...replyFields.start].sort())
    expect(body.status).toBe("error")
    expect(body.errorCode).toBe("invalid_request")
    expect(stack.crm.requests.length).toBe(before)
  })

  it("rejects an array as account id", async () => {
    const reply = await postJsonText("/auth/unlink", '{"channelType": "telegram", "messengerUserId": ["a"]}')

    expect(bodyOf(reply).errorCode).toBe("invalid_request")
  })

  it("ignores an unknown object field", async () => {
    const customer = boundCustomer("obj-extra")
    const reply = await postJsonText(
      "/auth/unlink",
      '{"channelType": "telegram", "messengerUserId": "obj-extra", "variables": {"a": 1}}'
    )

    expect(bodyOf(reply).status).toBe("unlinked")
    expect(bodyOf(reply).customerId).toBe(String(customer.id))
  })

  it("treats JSON null as absent", async () => {
    const customer = boundCustomer("null-next")
    const reply = await postJsonText(
      "/auth/unlink",
      '{"channelType": "telegram", "messengerUserId": null, "customerExternalId": "null-next"}'
    )

    expect(bodyOf(reply).status).toBe("unlinked")
    expect(bodyOf(reply).customerId).toBe(String(customer.id))
  })
})

describe("JSON scalars", () => {
  it("keeps every digit of big ids", async () => {
    const bigId = "12345678901234567891"
    expect(String(Number(bigId))).not.toBe(bigId)
    const customer = stack.crm.addCustomer({ phones: [{ number: "+79000000080" }] })

    const started = bodyOf(
      await postJsonText(
        "/auth/start",
        `{"phone": "+79000000080", "channelType": "instagram", "messengerUserId": ${bigId}}`
      )
    )
    expect(started.status).toBe("sent")
    const code = stack.greenSms.lastCodeTo("79000000080")
    const checked = bodyOf(
      await postJsonText(
        "/auth/check",
        `{"sessionId": "${started.sessionId}", "code": "${code}", "channelType": "instagram", "messengerUserId": ${bigId}}`
      )
    )

    expect(checked.status).toBe("authorized")
    expect(stack.crm.customer(customer.id)?.customFields.bot_instagram_account_id).toBe(bigId)
    const after = await status({ channelType: "instagram", messengerUserId: bigId })
    expect(after.body.customerId).toBe(String(customer.id))
  })

  it("logs both big ids when they differ", async () => {
    const reply = await send(stack.url, "/auth/unlink", {
      method: "POST",
      headers: { "content-type": "application/json", "X-Request-Id": "big-ids" },
      body: '{"channelType": "telegram", "messengerUserId": 90071992547409931, "customerExternalId": 90071992547409932}'
    })
    const warnings = logLines().filter((line) => line.messengerUserId === "90071992547409931")

    expect(bodyOf(reply).status).toBe("not_authorized")
    expect(warnings).toHaveLength(1)
    expect(warnings[0]?.level).toBe("warn")
    expect(warnings[0]?.customerExternalId).toBe("90071992547409932")
    expect(warnings[0]?.requestId).toBe("big-ids")
  })

  it("reads a JSON number customerId", async () => {
    const customer = boundCustomer("num-customer")
    const reply = await postJsonText(
      "/auth/unlink",
      `{"channelType": "telegram", "messengerUserId": "num-customer", "customerId": ${customer.id}}`
    )

    expect(bodyOf(reply).status).toBe("unlinked")
    expect(bodyOf(reply).customerId).toBe(String(customer.id))
  })

  it("keeps a number's source text", async () => {
    const customer = boundCustomer("1.50")
    const reply = await postJsonText("/auth/unlink", '{"channelType": "telegram", "messengerUserId": 1.50}')

    expect(bodyOf(reply).status).toBe("unlinked")
    expect(bodyOf(reply).customerId).toBe(String(customer.id))
  })

  it("reads a JSON boolean as text", async () => {
    const customer = boundCustomer("true")
    const reply = await postJsonText("/auth/unlink", '{"channelType": "telegram", "messengerUserId": true}')

    expect(bodyOf(reply).status).toBe("unlinked")
    expect(bodyOf(reply).customerId).toBe(String(customer.id))
  })
})

describe("encodings", () => {
  it("reads multipart/form-data", async () => {
    const customer = boundCustomer("multipart-id")
    const form = new FormData()
    form.set("channelType", "telegram")
    form.set("messengerUserId", "multipart-id")
    const reply = await send(stack.url, "/auth/unlink", { method: "POST", body: form })
    const body = bodyOf(reply)

    expect(reply.httpStatus).toBe(200)
    expect(Object.keys(body).sort()).toEqual([...replyFields.unlink].sort())
    expect(body.status).toBe("unlinked")
    expect(body.customerId).toBe(String(customer.id))
  })

  it("reads a multipart phone", async () => {
    const form = new FormData()
    form.set("phone", "+7 900 000-00-84")
    form.set("channelType", "whatsapp")
    form.set("messengerUserId", "multipart-start")
    const body = bodyOf(await send(stack.url, "/auth/start", { method: "POST", body: form }))

    expect(body.status).toBe("sent")
    expect(body.maskedPhone).toBe("+7 900 ***-**-84")
  })

  it("reads an unlabelled JSON body", async () => {
    const customer = boundCustomer("unlabelled-json")
    const reply = await send(stack.url, "/auth/unlink", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: '{"channelType": "telegram", "messengerUserId": "unlabelled-json"}'
    })

    expect(bodyOf(reply).customerId).toBe(String(customer.id))
  })

  for (const encoding of ["json", "form"] as const) {
    it(`lets the body win (${encoding})`, async () => {
      const fromQuery = boundCustomer(`merge-query-${encoding}`)
      const fromBody = boundCustomer(`merge-body-${encoding}`)
      const reply = await post(
        stack.url,
        `/auth/unlink?channelType=telegram&messengerUserId=merge-query-${encoding}`,
        { messengerUserId: `merge-body-${encoding}` },
        encoding
      )

      expect(reply.body.status).toBe("unlinked")
      expect(reply.body.customerId).toBe(String(fromBody.id))
      expect(stack.crm.customer(fromQuery.id)?.customFields[telegramField]).toBe(`merge-query-${encoding}`)
    })
  }

  it("uses the query under an empty body field", async () => {
    const customer = boundCustomer("merge-empty")
    const reply = await post(stack.url, "/auth/unlink?channelType=telegram&messengerUserId=merge-empty", {
      messengerUserId: ""
    })

    expect(reply.body.customerId).toBe(String(customer.id))
  })
})

describe("absent values", () => {
  const placeholders = ["{{customer.external_id}}", "{customer.external_id}", "#{customer.external_id}", "", "  "]

  for (const placeholder of placeholders) {
    it(`skips "${placeholder}" as an id`, async () => {
      const customer = boundCustomer(`absent-${placeholders.indexOf(placeholder)}`)
      const reply = await status({
        channelType: "telegram",
        messengerUserId: placeholder,
        customerExternalId: `absent-${placeholders.indexOf(placeholder)}`
      })

      expect(reply.body.status).toBe("authorized")
      expect(reply.body.customerId).toBe(String(customer.id))
    })

    it(`reports "${placeholder}" alone as missing`, async () => {
      const reply = await post(
        stack.url,
        "/auth/unlink",
        { channelType: "telegram", messengerUserId: placeholder, customerExternalId: placeholder },
        "json"
      )

      expect(reply.body.errorCode).toBe("missing_identity")
    })
  }

  it("treats a placeholder channel as missing", async () => {
    const reply = await status({ channelType: "{{channel.type}}", messengerUserId: "absent-channel" })

    expect(reply.body.errorCode).toBe("missing_identity")
  })

  it("treats a placeholder phone as invalid", async () => {
    const reply = await post(stack.url, "/auth/start", {
      phone: "{{phone}}",
      channelType: "telegram",
      messengerUserId: "absent-phone"
    })

    expect(reply.body.errorCode).toBe("invalid_phone")
  })

  it("ignores a placeholder customerId", async () => {
    const customer = boundCustomer("absent-customer")
    const reply = await status({
      channelType: "telegram",
      messengerUserId: "absent-customer",
      customerId: "{{customerId}}"
    })

    expect(reply.body.status).toBe("authorized")
    expect(reply.body.customerId).toBe(String(customer.id))
  })
})

describe("identity", () => {
  const ids = {
    messengerUserId: "prec-user",
    customerExternalId: "prec-external",
    messengerAccountId: "prec-account",
    messengerAccountIdFallback: "prec-fallback"
  }
  const customerIds = new Map<string, string>()

  beforeAll(() => {
    for (const id of Object.values(ids)) customerIds.set(id, String(boundCustomer(id).id))
  })

  const cases: ReadonlyArray<[string, Fields, string]> = [
    ["messengerUserId over all", ids, "prec-user"],
    ["customerExternalId next", { ...ids, messengerUserId: undefined }, "prec-external"],
    [
      "messengerAccountId next",
      { messengerAccountId: ids.messengerAccountId, messengerAccountIdFallback: ids.messengerAccountIdFallback },
      "prec-account"
    ],
    ["the fallback last", { messengerAccountIdFallback: ids.messengerAccountIdFallback }, "prec-fallback"]
  ]

  for (const [name, fields, expected] of cases) {
    it(`picks ${name}`, async () => {
      const reply = await status({ channelType: "telegram", ...fields })

      expect(reply.body.status).toBe("authorized")
      expect(reply.body.customerId).toBe(customerIds.get(expected))
    })
  }

  it("logs differing ids once", async () => {
    const reply = await send(
      stack.url,
      "/auth/status?channelType=telegram&messengerUserId=warn-user&customerExternalId=warn-external",
      { headers: { "X-Request-Id": "warn-ids" } }
    )
    const warnings = logLines().filter((line) => line.messengerUserId === "warn-user")

    expect(reply.httpStatus).toBe(200)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]?.level).toBe("warn")
    expect(warnings[0]?.customerExternalId).toBe("warn-external")
    expect(warnings[0]?.requestId).toBe("warn-ids")
  })

  it("logs nothing for equal ids", async () => {
    await status({ channelType: "telegram", messengerUserId: "same-id", customerExternalId: "same-id" })

    expect(logLines().filter((line) => line.messengerUserId === "same-id")).toHaveLength(0)
  })

  for (const channelType of ["TELEGRAM", "Telegram", "tElEgRaM"]) {
    it(`matches channel ${channelType}`, async () => {
      const reply = await status({ channelType, messengerUserId: "prec-user" })

      expect(reply.body.status).toBe("authorized")
      expect(reply.body.customerId).toBe(customerIds.get("prec-user"))
    })
  }

  it("stores the channel lowercase", async () => {
    boundCustomer("case-unlink", "bot_vk_account_id")
    const reply = await post(stack.url, "/auth/unlink", { channelType: "VK", messengerUserId: "case-unlink" })

    expect(reply.body.status).toBe("unlinked")
    expect(reply.body.channelType).toBe("vk")
  })

  it("keeps an @lid id", async () => {
    const customer = boundCustomer("79000000085@lid", "bot_whatsapp_account_id")
    const reply = await status({ channelType: "whatsapp", messengerUserId: "79000000085@lid" })

    expect(reply.body.customerId).toBe(String(customer.id))
  })
})

describe("request size and routes", () => {
  const bigBody = (padding: number) =>
    JSON.stringify({ channelType: "telegram", messengerUserId: "size-id", notes: "a".repeat(padding) })

  it("accepts a body under 64 KiB", async () => {
    const reply = await postJsonText("/auth/unlink", bigBody(60 * 1024))

    expect(bodyOf(reply).status).toBe("not_authorized")
  })

  it("rejects a body over 64 KiB", async () => {
    const before = stack.crm.requests.length
    const reply = await postJsonText("/auth/unlink", bigBody(70 * 1024))
    const body = bodyOf(reply)

    expect(reply.httpStatus).toBe(200)
    expect(Object.keys(body).sort()).toEqual([...replyFields.unlink].sort())
    expect(body.errorCode).toBe("invalid_request")
    expect(stack.crm.requests.length).toBe(before)
  })

  it("rejects a chunked body over 64 KiB", async () => {
    const bytes = new TextEncoder().encode(bigBody(70 * 1024))
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes)
        controller.close()
      }
    })
    const init = { method: "POST", headers: { "content-type": "application/json" }, body: stream, duplex: "half" }
    const reply = await send(stack.url, "/auth/unlink", init as RequestInit)

    expect(reply.httpStatus).toBe(200)
    expect(bodyOf(reply).errorCode).toBe("invalid_request")
    expect((await send(stack.url, "/health")).httpStatus).toBe(200)
  })

  it("answers 404 for an unknown path", async () => {
    const reply = await send(stack.url, "/auth/nowhere")

    expect(reply.httpStatus).toBe(404)
  })

  it("answers 404 for a wrong method", async () => {
    const reply = await send(stack.url, "/auth/start")

    expect(reply.httpStatus).toBe(404)
  })

  it("answers /health", async () => {
    const reply = await send(stack.url, "/health")

    expect(reply.httpStatus).toBe(200)
    expect(reply.contentType).toContain("application/json")
    expect(bodyOf(reply)).toEqual({ status: "ok" })
  })

  it("lists every path in /openapi.json", async () => {
    const reply = await send(stack.url, "/openapi.json")
    const paths = Object.keys((bodyOf(reply).paths ?? {}) as Record<string, unknown>)

    expect(reply.httpStatus).toBe(200)
    expect(JSON.stringify(bodyOf(reply))).not.toContain("HttpApiDecodeError")
    expect(JSON.stringify(bodyOf(reply))).not.toContain('"400"')
    expect(paths.sort()).toEqual(
      [
        "/auth/check",
        "/auth/resend",
        "/auth/start",
        "/auth/status",
        "/auth/unlink",
        "/health",
        "/orders",
        "/orders/repeat",
        "/orders/recommended/preview",
        "/orders/recommended/create",
        "/orders/recommended/start",
        "/orders/recommended/check"
      ].sort()
    )
  })

  it("serves /docs as HTML", async () => {
    const reply = await send(stack.url, "/docs")

    expect(reply.httpStatus).toBe(200)
    expect(reply.contentType).toContain("text/html")
    expect(reply.text).toContain("<html")
  })

  it("warns that no token is set", () => {
    const warnings = logLines().filter(
      (line) => line.level === "warn" && String(line.message).includes("WEBHOOK_TOKEN is not set")
    )

    expect(warnings).toHaveLength(1)
  })
})

describe("request log", () => {
  it("writes one line per request", async () => {
    await send(stack.url, "/auth/status?channelType=telegram&phone=%2B79000000086", {
      headers: { "X-Request-Id": "log-line-1" }
    })
    const lines = await requestLines("log-line-1")

    expect(lines).toHaveLength(1)
    expect(lines[0]?.level).toBe("info")
    expect(lines[0]?.method).toBe("GET")
    expect(lines[0]?.path).toBe("/auth/status")
    expect(lines[0]?.status).toBe(200)
    expect(lines[0]?.errorCode).toBe("missing_identity")
    expect(typeof lines[0]?.latencyMs).toBe("number")
    expect(lines[0]?.latencyMs as number).toBeGreaterThanOrEqual(0)
  })

  it("returns the request id header", async () => {
    const echoed = await send(stack.url, "/auth/status?channelType=telegram&messengerUserId=log-hdr", {
      headers: { "X-Request-Id": "log-header-1" }
    })
    const generated = await send(stack.url, "/auth/status?channelType=telegram&messengerUserId=log-hdr")

    expect(echoed.requestId).toBe("log-header-1")
    expect(generated.requestId).toMatch(/^[0-9a-f-]{36}$/)
  })

  it("logs a null errorCode on success", async () => {
    await send(stack.url, "/auth/status?channelType=telegram&messengerUserId=log-ok", {
      headers: { "X-Request-Id": "log-line-2" }
    })
    const lines = await requestLines("log-line-2")

    expect(lines).toHaveLength(1)
    expect(lines[0]?.errorCode).toBeNull()
  })

  it("logs a POST once", async () => {
    await send(stack.url, "/auth/unlink", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "X-Request-Id": "log-line-3" },
      body: "channelType=telegram&messengerUserId=log-post"
    })
    const lines = await requestLines("log-line-3")

    expect(lines).toHaveLength(1)
    expect(lines[0]?.method).toBe("POST")
    expect(lines[0]?.path).toBe("/auth/unlink")
  })

  it("generates an id when none is sent", async () => {
    await send(stack.url, "/probe-generated-id")
    await sleep(50)
    const lines = logLines().filter((line) => line.path === "/probe-generated-id")

    expect(lines).toHaveLength(1)
    expect(lines[0]?.requestId).toMatch(/^[0-9a-f-]{36}$/)
  })

  it("replaces a malformed request id", async () => {
    await send(stack.url, "/probe-bad-id", { headers: { "X-Request-Id": "bad id with spaces" } })
    await sleep(50)
    const lines = logLines().filter((line) => line.path === "/probe-bad-id")

    expect(lines).toHaveLength(1)
    expect(lines[0]?.requestId).toMatch(/^[0-9a-f-]{36}$/)
  })

  it("logs 404 requests", async () => {
    await send(stack.url, "/nowhere", { headers: { "X-Request-Id": "log-line-404" } })
    const lines = await requestLines("log-line-404")

    expect(lines).toHaveLength(1)
    expect(lines[0]?.status).toBe(404)
  })
})

describe("log hygiene", () => {
  it("keeps codes, phones and secrets out", async () => {
    stack.crm.addCustomer({ phones: [{ number: "8 900 000-00-81" }] })
    stack.greenSms.failRoute("telegram", { error: "Telegram is not available for this number", code: 9 })
    stack.crm.injectFault({ path: "/api/v5/customers", status: 500, body: "<html>oops</html>" })
    const started = await post(stack.url, "/auth/start?phone=%2B7%20900%20000-00-81", {
      phone: "+7 900 000-00-81",
      channelType: "telegram",
      messengerUserId: "hygiene-1"
    })
    const code = stack.greenSms.lastCodeTo("79000000081") ?? ""
    const wrongCode = code.replace(/\d$/, (digit) => String((Number(digit) + 1) % 10))
    const wrong = await post(stack.url, "/auth/check", {
      sessionId: String(started.body.sessionId),
      code: wrongCode,
      channelType: "telegram",
      messengerUserId: "hygiene-1"
    })
    const checked = await post(stack.url, "/auth/check", {
      sessionId: String(started.body.sessionId),
      code,
      channelType: "telegram",
      messengerUserId: "hygiene-1"
    })
    const bound = await status({ channelType: "telegram", messengerUserId: "hygiene-1" })

    // A phone without a customer, and a duplicated phone the deduper fails on.
    await post(stack.url, "/auth/start", { phone: "89000000082", channelType: "vk", messengerUserId: "hygiene-2" })
    stack.crm.addCustomer({ phones: [{ number: "+79000000083" }] })
    stack.crm.addCustomer({ phones: [{ number: "8 (900) 000-00-83" }] })
    stack.deduper.injectFault({ path: "/api/dedupe/auto-resolve", status: 500, body: "<html>down</html>" })
    const deduped = await post(stack.url, "/auth/start", {
      phone: "+79000000083",
      channelType: "telegram",
      messengerUserId: "hygiene-3"
    })

    expect(started.body.status).toBe("sent")
    expect(code).toMatch(/^\d{6}$/)
    expect(wrong.body.status).toBe("invalid_code")
    expect(checked.body.status).toBe("authorized")
    expect(bound.body.maskedPhone).toBe("+7 900 ***-**-81")
    expect(deduped.body.errorCode).toBe("dedupe_failed")

    const logs = stack.logs.join("\n")
    // The failures above must have been logged, or this test would check nothing.
    expect(logs).toContain("GreenSMS send failed")
    expect(logs).toContain("RetailCRM call failed")
    expect(logs).toContain("Deduper call failed")

    const forbidden = [
      code,
      wrongCode,
      "79000000081",
      "9000000081",
      "+7 900 000-00-81",
      "8 900 000-00-81",
      "79000000082",
      "9000000082",
      "79000000083",
      "9000000083",
      crmApiKey,
      greenSmsToken,
      dedupeApiKey
    ]
    for (const text of forbidden) {
      expect(logs, `logs contain ${text}`).not.toContain(text)
    }
  })
})

describe("webhook token", () => {
  const token = "test-webhook-token"
  let guarded: Stack

  beforeAll(async () => {
    guarded = await Stack.start({ sqlitePath: tempDatabase(), env: { WEBHOOK_TOKEN: token } })
  })

  afterAll(() => guarded.close())

  const statusQuery = "channelType=telegram&messengerUserId=token-user"

  it("rejects a missing token", async () => {
    const before = guarded.crm.requests.length
    const reply = await send(guarded.url, `/auth/status?${statusQuery}`)

    expect(reply.httpStatus).toBe(401)
    expect(guarded.crm.requests.length).toBe(before)
  })

  it("rejects a wrong header token", async () => {
    const before = guarded.crm.requests.length
    const reply = await send(guarded.url, `/auth/status?${statusQuery}`, {
      headers: { "X-Webhook-Token": "wrong-token" }
    })

    expect(reply.httpStatus).toBe(401)
    expect(guarded.crm.requests.length).toBe(before)
  })

  it("rejects a wrong query token", async () => {
    const reply = await send(guarded.url, `/auth/status?${statusQuery}&token=wrong-token`)

    expect(reply.httpStatus).toBe(401)
  })

  it("rejects a token prefix", async () => {
    const reply = await send(guarded.url, `/auth/status?${statusQuery}&token=test-webhook`)

    expect(reply.httpStatus).toBe(401)
  })

  it("sends no code without a token", async () => {
    guarded.crm.addCustomer({ phones: [{ number: "+79000000087" }] })
    const crmBefore = guarded.crm.requests.length
    const reply = await send(guarded.url, "/auth/start", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "phone=%2B79000000087&channelType=telegram&messengerUserId=token-start"
    })

    expect(reply.httpStatus).toBe(401)
    expect(guarded.crm.requests.length).toBe(crmBefore)
    expect(guarded.greenSms.messages).toHaveLength(0)
  })

  it("unlinks nothing without a token", async () => {
    const customer = guarded.crm.addCustomer({ customFields: { [telegramField]: "token-unlink" } })
    const reply = await send(guarded.url, "/auth/unlink", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"channelType": "telegram", "messengerUserId": "token-unlink"}'
    })

    expect(reply.httpStatus).toBe(401)
    expect(guarded.crm.customer(customer.id)?.customFields[telegramField]).toBe("token-unlink")
  })

  it("accepts the header token", async () => {
    const reply = await send(guarded.url, `/auth/status?${statusQuery}`, { headers: { "X-Webhook-Token": token } })

    expect(reply.httpStatus).toBe(200)
    expect(bodyOf(reply).status).toBe("not_authorized")
  })

  it("accepts the query token", async () => {
    const reply = await send(guarded.url, `/auth/status?${statusQuery}&token=${token}`)

    expect(reply.httpStatus).toBe(200)
    expect(bodyOf(reply).status).toBe("not_authorized")
  })

  it("accepts a query token on POST", async () => {
    const customer = guarded.crm.addCustomer({ customFields: { [telegramField]: "token-post" } })
    const reply = await post(guarded.url, `/auth/unlink?token=${token}`, {
      channelType: "telegram",
      messengerUserId: "token-post"
    })

    expect(reply.httpStatus).toBe(200)
    expect(reply.body.status).toBe("unlinked")
    expect(reply.body.customerId).toBe(String(customer.id))
  })

  for (const path of ["/health", "/openapi.json", "/docs"]) {
    it(`serves ${path} without a token`, async () => {
      const reply = await send(guarded.url, path)

      expect(reply.httpStatus).toBe(200)
    })
  }

  it("logs 401 requests", async () => {
    const reply = await send(guarded.url, `/auth/status?${statusQuery}`, { headers: { "X-Request-Id": "token-401" } })
    const lines = await requestLines("token-401", guarded)

    expect(reply.httpStatus).toBe(401)
    expect(lines).toHaveLength(1)
    expect(lines[0]?.status).toBe(401)
  })

  it("logs no missing-token warning", () => {
    expect(guarded.logs.join("\n")).not.toContain("WEBHOOK_TOKEN is not set")
  })

  it("keeps the token out of logs", () => {
    expect(guarded.logs.join("\n")).not.toContain(token)
  })
})
