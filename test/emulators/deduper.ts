import { randomUUID } from "node:crypto"
import type { RecordedRequest, Reply, Route } from "./http.js"
import { digitsOf, findRoute, HttpEmulator, isPlainObject, jsonReply } from "./http.js"

export interface DeduperEmulatorOptions {
  apiKey: string
  port?: number
}

export interface DedupeResult {
  status: string
  finalCustomerId: string | number | null
  warnings?: string[]
}

/**
 * In-memory customer deduplication service for tests. Replies with the result set for
 * the phone, or `not_found` for phones without one.
 */
export class DeduperEmulator extends HttpEmulator {
  readonly #apiKey: string
  readonly #results = new Map<string, DedupeResult>()
  readonly #routes: Route[]

  private constructor(options: DeduperEmulatorOptions) {
    super()
    this.#apiKey = options.apiKey
    this.#routes = [
      { method: "POST", pattern: /^\/api\/dedupe\/auto-resolve$/, handle: (request) => this.#autoResolve(request) }
    ]
  }

  static async start(options: DeduperEmulatorOptions): Promise<DeduperEmulator> {
    const emulator = new DeduperEmulator(options)
    await emulator.listen(options.port)
    return emulator
  }

  /** Sets the reply for a phone. Phones are compared by their digits. */
  setResult(phone: string, result: DedupeResult): void {
    this.#results.set(digitsOf(phone), result)
  }

  clearResults(): void {
    this.#results.clear()
  }

  // The error bodies imitate FastAPI (`detail`), which the 401 body suggests. NOTE: the 404, 405 and 422 bodies are guesses.
  protected handle(request: RecordedRequest): Reply | Promise<Reply> {
    const lookup = findRoute(this.#routes, request.method, request.path)
    if (lookup === "not-found") return jsonReply(404, { detail: "Not Found" })
    if (lookup === "method-not-allowed") return jsonReply(405, { detail: "Method Not Allowed" })
    if (request.headers["x-api-key"] !== this.#apiKey) return jsonReply(401, { detail: "invalid api key" })
    return lookup.route.handle(request, lookup.params)
  }

  #autoResolve(request: RecordedRequest): Reply {
    const body = request.json
    if (!isPlainObject(body)) {
      return jsonReply(422, {
        detail: [{ loc: ["body"], msg: "A JSON object is required", type: "model_attributes_type" }]
      })
    }
    if (typeof body.phone !== "string" || body.phone === "") {
      return jsonReply(422, { detail: [{ loc: ["body", "phone"], msg: "Field required", type: "missing" }] })
    }

    const result = this.#results.get(digitsOf(body.phone))
    const requestId = typeof body.requestId === "string" ? body.requestId : randomUUID()
    return jsonReply(200, {
      status: result?.status ?? "not_found",
      finalCustomerId: result?.finalCustomerId ?? null,
      requestId,
      warnings: result?.warnings ?? []
    })
  }
}
