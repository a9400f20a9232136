import type { IncomingMessage, Server, ServerResponse } from "node:http"
import { createServer } from "node:http"
import type { AddressInfo, Socket } from "node:net"

/** One request as the emulator received it. Header names are lower-cased. */
export interface RecordedRequest {
  method: string
  path: string
  query: URLSearchParams
  headers: Record<string, string>
  body: string
  /** Parsed body when the content type is `application/x-www-form-urlencoded`. */
  form?: URLSearchParams
  /** Parsed body when the content type is JSON and the body parses. */
  json?: unknown
  /** Arrival time in milliseconds since the epoch. */
  at: number
}

/**
 * A failure applied to the next matching requests.
 *
 * - With `status` or `body`, the emulator sends that reply in place of the real one.
 * - With `dropConnection`, it destroys the socket without replying.
 * - With only `delayMs`, it is a slow server: the real reply comes after the delay.
 * - `afterEffect: true` applies the operation first, so a client that sees the failure
 *   cannot tell whether the change happened. Without it, a replaced or dropped reply
 *   applies nothing, and a delayed request whose client disconnects during the delay
 *   applies nothing either.
 */
export interface Fault {
  /** Number of matching requests the fault applies to (default 1). */
  times?: number
  method?: string
  /** Exact path (without the query) or a pattern tested against it. */
  path?: string | RegExp
  status?: number
  delayMs?: number
  body?: string
  /** Content type of `body`. When omitted, it is guessed from the first character. */
  contentType?: string
  afterEffect?: boolean
  dropConnection?: boolean
}

export interface Reply {
  status: number
  body: string
  contentType: string
}

export type RequestListener = (request: RecordedRequest) => void

export interface Route {
  method: string
  /** Anchored pattern for the path. Its capture groups reach `handle` URL-decoded. */
  pattern: RegExp
  handle: (request: RecordedRequest, params: readonly string[]) => Reply | Promise<Reply>
}

export type RouteLookup = { route: Route; params: string[] } | "not-found" | "method-not-allowed"

interface QueuedFault {
  fault: Fault
  remaining: number
}

/** Finds the route for a request. A path served only under other methods gives "method-not-allowed". */
export function findRoute(routes: readonly Route[], method: string, path: string): RouteLookup {
  let pathKnown = false
  for (const route of routes) {
    const match = route.pattern.exec(path)
    if (match === null) continue
    if (route.method !== method) {
      pathKnown = true
      continue
    }
    const params = match.slice(1).map((param) => decodeURIComponent(param ?? ""))
    return { route, params }
  }
  return pathKnown ? "method-not-allowed" : "not-found"
}

export function jsonReply(
  status: number,
  value: unknown,
  replacer?: (this: unknown, key: string, value: unknown) => unknown
): Reply {
  return { status, body: JSON.stringify(value, replacer), contentType: "application/json; charset=utf-8" }
}

export function textReply(status: number, body: string): Reply {
  return { status, body, contentType: "text/plain; charset=utf-8" }
}

/** Merges query, urlencoded and JSON body parameters. Body values override the query string. */
export function collectParams(request: RecordedRequest): Map<string, string> {
  const params = new Map<string, string>(request.query)
  if (request.form !== undefined) {
    for (const [key, value] of request.form) params.set(key, value)
  }
  if (isPlainObject(request.json)) {
    for (const [key, value] of Object.entries(request.json)) {
      if (value === null || value === undefined) continue
      params.set(key, typeof value === "object" ? JSON.stringify(value) : String(value))
    }
  }
  return params
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
}

export function digitsOf(text: string): string {
  return text.replace(/\D/g, "")
}

/**
 * Base of the test emulators: a `node:http` server on 127.0.0.1 that records requests,
 * applies injected faults and passes everything else to `handle`.
 */
export abstract class HttpEmulator {
  /** Every request received, newest last. */
  readonly requests: RecordedRequest[] = []
  readonly #server: Server
  readonly #sockets = new Set<Socket>()
  readonly #listeners = new Set<RequestListener>()
  readonly #closing = new AbortController()
  #faults: QueuedFault[] = []
  #url: string | undefined
  #closed: Promise<void> | undefined

  protected constructor() {
    this.#server = createServer((request, response) => {
      void this.#serve(request, response)
    })
    this.#server.on("connection", (socket: Socket) => {
      this.#sockets.add(socket)
      socket.once("close", () => this.#sockets.delete(socket))
    })
  }

  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:43210`. */
  get url(): string {
    if (this.#url === undefined) throw new Error("The emulator is not listening yet: call start() first.")
    return this.#url
  }

  protected abstract handle(request: RecordedRequest): Reply | Promise<Reply>

  protected async listen(port = 0): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject)
      this.#server.listen(port, "127.0.0.1", () => {
        this.#server.off("error", reject)
        resolve()
      })
    })
    const address = this.#server.address() as AddressInfo
    this.#url = `http://127.0.0.1:${address.port}`
  }

  injectFault(fault: Fault): void {
    this.#faults.push({ fault, remaining: fault.times ?? 1 })
  }

  clearFaults(): void {
    this.#faults = []
  }

  clearRequests(): void {
    this.requests.length = 0
  }

  /** Registers a listener that sees every request before it is handled, and returns a function that removes it. */
  onRequest(listener: RequestListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Stops the server, cutting open connections and pending delayed replies. */
  close(): Promise<void> {
    if (this.#closed !== undefined) return this.#closed
    this.#closing.abort()
    this.#closed = new Promise<void>((resolve, reject) => {
      if (!this.#server.listening) {
        resolve()
        return
      }
      this.#server.close((error) => (error === undefined ? resolve() : reject(error)))
      this.#server.closeAllConnections()
      for (const socket of this.#sockets) socket.destroy()
    })
    return this.#closed
  }

  async #serve(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const request = await recordRequest(incoming)
      this.requests.push(request)
      for (const listener of this.#listeners) listener(request)

      const fault = this.#takeFault(request)
      if (fault === undefined) {
        sendReply(response, await this.handle(request))
        return
      }

      const realReply = fault.afterEffect === true ? await this.handle(request) : undefined
      const stillOpen = await this.#wait(fault.delayMs, response)
      if (!stillOpen) return
      if (fault.dropConnection === true) {
        incoming.socket.destroy()
        return
      }
      if (fault.status !== undefined || fault.body !== undefined) {
        sendReply(response, faultReply(fault))
        return
      }
      sendReply(response, realReply ?? (await this.handle(request)))
    } catch (error) {
      if (response.headersSent || response.destroyed) return
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
      sendReply(response, textReply(500, `Emulator failed to handle the request: ${message}`))
    }
  }

  #takeFault(request: RecordedRequest): Fault | undefined {
    const index = this.#faults.findIndex(({ fault }) => faultMatches(fault, request))
    const queued = this.#faults[index]
    if (queued === undefined) return undefined
    queued.remaining -= 1
    if (queued.remaining <= 0) this.#faults.splice(index, 1)
    return queued.fault
  }

  /** Resolves to false when the client disconnects or the emulator closes before the delay ends. */
  #wait(delayMs: number | undefined, response: ServerResponse): Promise<boolean> {
    if (delayMs === undefined || delayMs <= 0) return Promise.resolve(!response.destroyed)
    const signal = this.#closing.signal
    if (signal.aborted) return Promise.resolve(false)
    return new Promise<boolean>((resolve) => {
      const finish = (open: boolean): void => {
        clearTimeout(timer)
        response.off("close", onClose)
        signal.removeEventListener("abort", onClose)
        resolve(open)
      }
      const onClose = (): void => finish(false)
      const timer = setTimeout(() => finish(true), delayMs)
      response.once("close", onClose)
      signal.addEventListener("abort", onClose, { once: true })
    })
  }
}

function faultMatches(fault: Fault, request: RecordedRequest): boolean {
  if (fault.method !== undefined && fault.method.toUpperCase() !== request.method) return false
  if (fault.path === undefined) return true
  if (typeof fault.path === "string") return fault.path === request.path
  return fault.path.test(request.path)
}

function faultReply(fault: Fault): Reply {
  const body = fault.body ?? ""
  return { status: fault.status ?? 500, body, contentType: fault.contentType ?? guessContentType(body) }
}

function guessContentType(body: string): string {
  const first = body.trimStart()[0]
  if (first === "{" || first === "[") return "application/json; charset=utf-8"
  if (first === "<") return "text/html; charset=utf-8"
  return "text/plain; charset=utf-8"
}

async function recordRequest(incoming: IncomingMessage): Promise<RecordedRequest> {
  const chunks: Buffer[] = []
  for await (const chunk of incoming) chunks.push(chunk as Buffer)
  const body = Buffer.concat(chunks).toString("utf8")

  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value === undefined) continue
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value
  }

  const url = new URL(incoming.url ?? "/", "http://127.0.0.1")
  const request: RecordedRequest = {
    method: (incoming.method ?? "GET").toUpperCase(),
    path: url.pathname,
    query: url.searchParams,
    headers,
    body,
    at: Date.now()
  }

  const contentType = headers["content-type"]?.toLowerCase() ?? ""
  if (contentType.includes("application/x-www-form-urlencoded")) {
    request.form = new URLSearchParams(body)
  } else if (contentType.includes("json") && body.length > 0) {
    try {
      request.json = JSON.parse(body)
    } catch {
      // Left undefined: each emulator reports an unparsable body in its own error format.
    }
  }
  return request
}

function sendReply(response: ServerResponse, reply: Reply): void {
  if (response.destroyed) return
  response.writeHead(reply.status, {
    "content-type": reply.contentType,
    "content-length": Buffer.byteLength(reply.body)
  })
  response.end(reply.body)
}
