import { randomUUID } from "node:crypto"
import type { RecordedRequest, Reply, Route } from "./http.js"
import { collectParams, digitsOf, findRoute, HttpEmulator, jsonReply } from "./http.js"

export interface GreenSmsEmulatorOptions {
  /** Accepted bearer token. When no token and no user are set, any request is authorized. */
  token?: string
  user?: string
  pass?: string
  port?: number
}

export type GreenSmsRoute = "sms" | "telegram" | "vk"

export interface GreenSmsMessage {
  route: GreenSmsRoute
  to: string
  txt: string
  from?: string
  ttl?: number
  tag?: string
  requestId: string
  /** Time the message was accepted, in milliseconds since the epoch. */
  at: number
}

export interface GreenSmsFailure {
  error: string
  code: number
  /** HTTP status of the failure reply (default 400). */
  status?: number
}

export type MessageListener = (message: GreenSmsMessage) => void

interface ParamRule {
  required: boolean
  minLength: number
  maxLength: number
  pattern?: RegExp
  patternText?: string
}

const phoneRule: ParamRule = { required: true, minLength: 11, maxLength: 14, pattern: /^\d+$/, patternText: "digits" }
const tagRule: ParamRule = { required: false, minLength: 0, maxLength: 36 }

// The limits copy the client-side validators of the official GreenSMS SDKs (PHP SDK 4.0.0 for telegram and vk).
const routeRules: Record<GreenSmsRoute, Record<string, ParamRule>> = {
  sms: {
    to: phoneRule,
    txt: { required: true, minLength: 1, maxLength: 918 },
    from: { required: false, minLength: 0, maxLength: 11 },
    tag: tagRule
  },
  telegram: {
    to: phoneRule,
    txt: { required: true, minLength: 4, maxLength: 8, pattern: /^\d+$/, patternText: "digits" },
    tag: tagRule
  },
  vk: {
    to: phoneRule,
    txt: { required: true, minLength: 1, maxLength: 2048 },
    from: { required: true, minLength: 1, maxLength: 11 },
    tag: tagRule,
    cascade: {
      required: false,
      minLength: 0,
      maxLength: 64,
      pattern: /^(sms|voice|viber)(,(sms|voice|viber))*$/,
      patternText: "a comma-separated list of sms, voice and viber"
    }
  }
}

// NOTE: codes 1 (missing) and 2 (invalid) follow the SDKs' error names, and the HTTP status 400 is a guess.
const missingParamCode = 1
const invalidParamCode = 2

/** In-memory GreenSMS API for tests: accepts sends on sms, telegram and vk and stores them. */
export class GreenSmsEmulator extends HttpEmulator {
  /** Accepted messages, newest last. */
  readonly messages: GreenSmsMessage[] = []
  readonly #options: GreenSmsEmulatorOptions
  readonly #routes: Route[]
  readonly #messageListeners = new Set<MessageListener>()
  readonly #routeFailures = new Map<GreenSmsRoute, { failure: GreenSmsFailure; remaining: number }[]>()

  private constructor(options: GreenSmsEmulatorOptions) {
    super()
    this.#options = options
    this.#routes = (["sms", "telegram", "vk"] as const).map((route) => ({
      method: "POST",
      pattern: new RegExp(`^/${route}/send$`),
      handle: (request: RecordedRequest) => this.#send(route, request)
    }))
  }

  static async start(options: GreenSmsEmulatorOptions = {}): Promise<GreenSmsEmulator> {
    const emulator = new GreenSmsEmulator(options)
    await emulator.listen(options.port)
    return emulator
  }

  clearMessages(): void {
    this.messages.length = 0
  }

  /** Returns the newest message sent to the phone, which may be written with `+` or spaces. */
  lastMessageTo(phone: string): GreenSmsMessage | undefined {
    const to = digitsOf(phone)
    for (let index = this.messages.length - 1; index >= 0; index -= 1) {
      const message = this.messages[index]
      if (message?.to === to) return message
    }
    return undefined
  }

  /** Returns the first standalone group of 4 to 8 digits in the newest message to the phone. */
  lastCodeTo(phone: string): string | undefined {
    const message = this.lastMessageTo(phone)
    if (message === undefined) return undefined
    return /(?<!\d)\d{4,8}(?!\d)/.exec(message.txt)?.[0]
  }

  /** Registers a listener for each accepted message, and returns a function that removes it. */
  onMessage(listener: MessageListener): () => void {
    this.#messageListeners.add(listener)
    return () => this.#messageListeners.delete(listener)
  }

  /** Makes the next `times` valid, authorized sends on the route fail with the given error body. */
  failRoute(route: GreenSmsRoute, failure: GreenSmsFailure, times = 1): void {
    const queue = this.#routeFailures.get(route) ?? []
    queue.push({ failure, remaining: times })
    this.#routeFailures.set(route, queue)
  }

  protected handle(request: RecordedRequest): Reply | Promise<Reply> {
    const lookup = findRoute(this.#routes, request.method, request.path)
    // NOTE: the replies for unknown routes and wrong methods are guesses.
    if (lookup === "not-found") return jsonReply(404, { error: "Method not found", code: 404 })
    if (lookup === "method-not-allowed") return jsonReply(405, { error: "Method not allowed", code: 404 })
    return lookup.route.handle(request, lookup.params)
  }

  #send(route: GreenSmsRoute, request: RecordedRequest): Reply {
    const params = collectParams(request)
    // NOTE: HTTP 401 is a guess. The body is the one the SDK tests expect.
    if (!this.#authorized(request, params)) return jsonReply(401, { error: "Authorization declined", code: 0 })

    const invalid = validateParams(routeRules[route], params)
    if (invalid !== undefined) return invalid
    const ttl = parseTtl(route, params.get("ttl"))
    if (typeof ttl === "object") return ttl

    const failure = this.#takeRouteFailure(route)
    if (failure !== undefined) {
      return jsonReply(failure.status ?? 400, { error: failure.error, code: failure.code })
    }

    const message: GreenSmsMessage = {
      route,
      to: params.get("to") ?? "",
      txt: params.get("txt") ?? "",
      requestId: randomUUID(),
      at: Date.now()
    }
    const from = params.get("from")
    if (from !== undefined && from !== "") message.from = from
    const tag = params.get("tag")
    if (tag !== undefined && tag !== "") message.tag = tag
    if (ttl !== undefined) message.ttl = ttl

    this.messages.push(message)
    for (const listener of this.#messageListeners) listener(message)
    return jsonReply(200, { request_id: message.requestId })
  }

  #authorized(request: RecordedRequest, params: Map<string, string>): boolean {
    const { token, user, pass } = this.#options
    if (token === undefined && user === undefined) return true
    const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? "")?.[1]
    if (token !== undefined && bearer === token) return true
    return user !== undefined && params.get("user") === user && params.get("pass") === (pass ?? "")
  }

  #takeRouteFailure(route: GreenSmsRoute): GreenSmsFailure | undefined {
    const queue = this.#routeFailures.get(route)
    const next = queue?.[0]
    if (queue === undefined || next === undefined) return undefined
    next.remaining -= 1
    if (next.remaining <= 0) queue.shift()
    return next.failure
  }
}

function validateParams(rules: Record<string, ParamRule>, params: Map<string, string>): Reply | undefined {
  for (const [name, rule] of Object.entries(rules)) {
    const value = params.get(name)
    if (value === undefined || value === "") {
      if (rule.required) return jsonReply(400, { error: `Parameter "${name}" is missing`, code: missingParamCode })
      continue
    }
    // Counted in code points so that Cyrillic and emoji count as one character each.
    const length = [...value].length
    if (length < rule.minLength || length > rule.maxLength) {
      const error = `Parameter "${name}" must be ${rule.minLength} to ${rule.maxLength} characters long, got ${length}`
      return jsonReply(400, { error, code: invalidParamCode })
    }
    if (rule.pattern !== undefined && !rule.pattern.test(value)) {
      const error = `Parameter "${name}" must contain only ${rule.patternText ?? "allowed characters"}`
      return jsonReply(400, { error, code: invalidParamCode })
    }
  }
  return undefined
}

/**
 * Reads the optional Telegram `ttl` in seconds. No GreenSMS SDK sends it, so the range is
 * the one Telegram's Gateway API accepts (30 to 3600).
 */
function parseTtl(route: GreenSmsRoute, text: string | undefined): number | undefined | Reply {
  if (route !== "telegram" || text === undefined || text === "") return undefined
  const ttl = Number(text)
  if (!Number.isInteger(ttl) || ttl < 30 || ttl > 3600) {
    return jsonReply(400, {
      error: `Parameter "ttl" must be an integer from 30 to 3600, got "${text}"`,
      code: invalidParamCode
    })
  }
  return ttl
}
