import { randomUUID } from "node:crypto"
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Clock, Data, Effect, Option, Redacted, Schema } from "effect"
import { AppConfig } from "../Config.js"
import type { NormalizedPhone } from "../domain/Phone.js"
import { maskPhone } from "../domain/Phone.js"
import { withCallTimeout } from "../upstream/Deadline.js"

/** The deduper could not be asked or gave no usable reply. */
export class DedupeUnavailable extends Data.TaggedError("DedupeUnavailable")<{
  readonly reason: "not_configured" | "timeout" | "transport" | "status" | "bad_response"
  readonly status?: number | undefined
  readonly detail: string
}> {}

const DedupeReply = Schema.Struct({
  status: Schema.String,
  finalCustomerId: Schema.optional(Schema.NullOr(Schema.Union(Schema.String, Schema.Number))),
  requestId: Schema.optional(Schema.NullOr(Schema.String)),
  warnings: Schema.optional(Schema.NullOr(Schema.Array(Schema.Unknown)))
})

export interface DedupeResult {
  readonly status: string
  /** Empty when the deduper named no customer. */
  readonly finalCustomerId: string
  readonly warnings: ReadonlyArray<string>
}

/**
 * Client of the deduper service, which picks one CRM customer when a phone matches several. It is asked
 * once per start; its `status` is returned as is for the caller to judge.
 */
export class Deduper extends Effect.Service<Deduper>()("retailcrm-bot-auth/Deduper", {
  effect: Effect.gen(function* () {
    const { deduper: config, retailCrm } = yield* AppConfig
    const client = (yield* HttpClient.HttpClient).pipe(HttpClient.withTracerPropagation(false))

    const autoResolve = (phone: NormalizedPhone): Effect.Effect<DedupeResult, DedupeUnavailable> =>
      Effect.gen(function* () {
        if (Option.isNone(config.baseUrl)) {
          return yield* new DedupeUnavailable({ reason: "not_configured", detail: "DEDUPE_BASE_URL is not set" })
        }
        const started = yield* Clock.currentTimeMillis
        const requestId = randomUUID()
        const body = {
          phone,
          ...Option.match(retailCrm.site, { onNone: () => ({}), onSome: (site) => ({ site }) }),
          requestSource: "auth-backend",
          requestId,
          waitForConfirmation: false
        }
        const request = HttpClientRequest.post(`${config.baseUrl.value}/api/dedupe/auto-resolve`).pipe(
          HttpClientRequest.acceptJson,
          HttpClientRequest.setHeaders(
            Option.match(config.apiKey, { onNone: () => ({}), onSome: (key) => ({ "X-API-Key": Redacted.value(key) }) })
          ),
          HttpClientRequest.bodyUnsafeJson(body)
        )
        return yield* client.execute(request).pipe(
          Effect.mapError((error) => new DedupeUnavailable({ reason: "transport", detail: error.message })),
          Effect.flatMap((response) =>
            response.status < 200 || response.status >= 300
              ? Effect.fail(
                  new DedupeUnavailable({ reason: "status", status: response.status, detail: "non-2xx reply" })
                )
              : response.json.pipe(
                  Effect.flatMap(Schema.decodeUnknown(DedupeReply)),
                  Effect.mapError(
                    (error) => new DedupeUnavailable({ reason: "bad_response", detail: error.message.slice(0, 300) })
                  )
                )
          ),
          Effect.map(
            (reply): DedupeResult => ({
              status: reply.status,
              finalCustomerId:
                reply.finalCustomerId === null || reply.finalCustomerId === undefined
                  ? ""
                  : String(reply.finalCustomerId).trim(),
              warnings: (reply.warnings ?? []).map(String)
            })
          ),
          withCallTimeout(config.timeout, () => new DedupeUnavailable({ reason: "timeout", detail: "timed out" })),
          Effect.tapBoth({
            onFailure: (error) =>
              Effect.flatMap(Clock.currentTimeMillis, (now) =>
                Effect.logWarning("Deduper call failed").pipe(
                  Effect.annotateLogs({
                    upstream: "deduper",
                    phone: maskPhone(phone),
                    requestId,
                    reason: error.reason,
                    status: error.status,
                    detail: error.detail,
                    latencyMs: now - started
                  })
                )
              ),
            onSuccess: (result) =>
              Effect.logInfo("Deduper replied").pipe(
                Effect.annotateLogs({
                  upstream: "deduper",
                  phone: maskPhone(phone),
                  requestId,
                  dedupeStatus: result.status,
                  finalCustomerId: result.finalCustomerId,
                  warnings: result.warnings.join("; ")
                })
              )
          })
        )
      })

    return { autoResolve } as const
  })
}) {}
