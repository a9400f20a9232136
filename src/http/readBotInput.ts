import type { IncomingMessage } from "node:http"
import { HttpServerRequest } from "@effect/platform"
import { NodeHttpServerRequest } from "@effect/platform-node"
import { Effect } from "effect"
import { parse as parseLosslessJson } from "lossless-json"
import { BotError } from "../domain/BotError.js"
import { BotInput } from "../domain/BotInput.js"

/** Bot requests are a handful of short fields; anything larger is not one. */
export const maxBodyBytes = 64 * 1024

const invalidRequest = () => new BotError({ code: "invalid_request" })

const utf8 = new TextDecoder("utf-8", { fatal: true })

const queryOf = (url: string): string => {
  const index = url.indexOf("?")
  return index === -1 ? "" : url.slice(index + 1)
}

const fromSearchParams = (params: URLSearchParams) => BotInput.fromRaw(params.entries())

/**
 * Reads a JSON object body. Numbers keep their source text, so ids above 2^53 lose no digits. Booleans
 * become `"true"` or `"false"`, `null` is absent, and objects and arrays are kept apart as non-scalars.
 */
const fromJson = (text: string): Effect.Effect<BotInput, BotError> =>
  Effect.try({
    try: () => parseLosslessJson(text, null, (source) => source),
    catch: invalidRequest
  }).pipe(
    Effect.flatMap((value) =>
      typeof value === "object" && value !== null && !Array.isArray(value)
        ? Effect.succeed(
            BotInput.fromRaw(
              Object.entries(value).flatMap(([name, field]): Array<readonly [string, string | undefined]> => {
                if (field === null) return []
                if (typeof field === "object") return [[name, undefined]]
                return [[name, String(field)]]
              })
            )
          )
        : Effect.fail(invalidRequest())
    )
  )

const fromMultipart = (bytes: Uint8Array, contentType: string): Effect.Effect<BotInput, BotError> =>
  Effect.tryPromise({
    try: () => new Response(bytes, { headers: { "content-type": contentType } }).formData(),
    catch: invalidRequest
  }).pipe(
    Effect.map((form) =>
      // File parts carry no bot fields; only text parts count.
      BotInput.fromRaw(
        [...form.entries()].flatMap(([name, value]) => (typeof value === "string" ? [[name, value] as const] : []))
      )
    )
  )

/**
 * Decodes a body by its content type: JSON (also `+json` types), urlencoded form or multipart form. A body
 * without a known type is read as JSON when it looks like an object, else as a form, because bot builders
 * do not always label what they send.
 */
const decodeBody = (bytes: Uint8Array, contentType: string): Effect.Effect<BotInput, BotError> => {
  if (bytes.length === 0) return Effect.succeed(BotInput.empty)
  const mediaType = (contentType.split(";")[0] ?? "").trim().toLowerCase()
  if (mediaType === "multipart/form-data") return fromMultipart(bytes, contentType)
  return Effect.try({ try: () => utf8.decode(bytes), catch: invalidRequest }).pipe(
    Effect.flatMap((text) => {
      if (mediaType === "application/json" || mediaType.endsWith("+json")) return fromJson(text)
      if (mediaType === "application/x-www-form-urlencoded")
        return Effect.succeed(fromSearchParams(new URLSearchParams(text)))
      return text.trimStart().startsWith("{")
        ? fromJson(text)
        : Effect.succeed(fromSearchParams(new URLSearchParams(text)))
    })
  )
}

/**
 * Reads the body up to `maxBodyBytes`. Past the limit the rest is discarded rather than the stream
 * destroyed, so the shopper's bot still gets its `invalid_request` reply (the platform's own size limit
 * destroys the request, and the reply is lost with it).
 */
const readLimitedBody = (incoming: IncomingMessage): Effect.Effect<Uint8Array, BotError> =>
  Effect.async<Uint8Array, BotError>((resume) => {
    const chunks: Array<Buffer> = []
    let size = 0
    const cleanup = () => {
      incoming.off("data", onData)
      incoming.off("end", onEnd)
      incoming.off("error", onError)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= maxBodyBytes) {
        chunks.push(chunk)
        return
      }
      cleanup()
      incoming.resume()
      resume(Effect.fail(invalidRequest()))
    }
    const onEnd = () => {
      cleanup()
      resume(Effect.succeed(Buffer.concat(chunks)))
    }
    const onError = () => {
      cleanup()
      resume(Effect.fail(invalidRequest()))
    }
    incoming.on("data", onData)
    incoming.on("end", onEnd)
    incoming.on("error", onError)
    return Effect.sync(cleanup)
  })

/**
 * Reads the fields of a bot request: the query string, plus the body for methods that have one, where a
 * body field wins over a query field of the same name. A malformed or oversized body is `invalid_request`.
 */
export const readBotInput: Effect.Effect<BotInput, BotError, HttpServerRequest.HttpServerRequest> = Effect.gen(
  function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const query = fromSearchParams(new URLSearchParams(queryOf(request.url)))
    if (request.method === "GET" || request.method === "HEAD") return query

    const declaredLength = Number(request.headers["content-length"] ?? "0")
    if (declaredLength > maxBodyBytes) return yield* invalidRequest()
    const body = yield* readLimitedBody(NodeHttpServerRequest.toIncomingMessage(request))
    const fields = yield* decodeBody(body, request.headers["content-type"] ?? "")
    return fields.withFallback(query)
  }
)
