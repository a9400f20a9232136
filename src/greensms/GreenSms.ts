import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Clock, Data, Effect, Option, Redacted } from "effect"
import { AppConfig } from "../Config.js"
import type { NormalizedPhone } from "../domain/Phone.js"
import { maskPhone } from "../domain/Phone.js"
import type { DeliveryRoute } from "../otp/OtpSession.js"
import { withCallTimeout } from "../upstream/Deadline.js"
import { parseJsonOrUndefined } from "../upstream/json.js"
import { classifyTransport } from "../upstream/transport.js"

/** GreenSMS did not accept the message: a body with an `error` key (whatever the HTTP status) or an unusable reply. */
export class DeliveryFailed extends Data.TaggedError("DeliveryFailed")<{
  readonly route: DeliveryRoute
  readonly reason: "rejected" | "timeout" | "connection_refused" | "connection_reset" | "transport" | "bad_response"
  readonly status?: number | undefined
  /** GreenSMS's own error code and text, when it sent them. */
  readonly code?: number | undefined
  readonly detail: string
}> {}

/**
 * The GreenSMS client: one send method per route, parameters in a JSON body as the newest official SDK
 * (PHP 4.0.0) sends them, bearer token or `user`/`pass` auth. A send is never repeated here, because
 * GreenSMS has no idempotency key and a repeat could deliver two codes.
 */
export class GreenSms extends Effect.Service<GreenSms>()("retailcrm-bot-auth/GreenSms", {
  effect: Effect.gen(function* () {
    const { greenSms: config } = yield* AppConfig
    const client = (yield* HttpClient.HttpClient).pipe(
      HttpClient.mapRequest(HttpClientRequest.acceptJson),
      HttpClient.withTracerPropagation(false)
    )
    if (Option.isNone(config.vkFrom)) {
      yield* Effect.logWarning(
        "GREENSMS_VK_FROM is not set: GreenSMS rejects VK sends without a sender, so codes go by SMS"
      )
    }
    const authHeaders: Record<string, string> =
      config.auth._tag === "Token" ? { Authorization: `Bearer ${Redacted.value(config.auth.token)}` } : {}
    const authParams: Record<string, string> =
      config.auth._tag === "Password" ? { user: config.auth.user, pass: Redacted.value(config.auth.pass) } : {}

    const routeParams = (route: DeliveryRoute): Record<string, string | number> => {
      switch (route) {
        case "telegram":
          return Option.match(config.telegramTtl, { onNone: () => ({}), onSome: (ttl) => ({ ttl }) })
        case "vk":
          return Option.match(config.vkFrom, { onNone: () => ({}), onSome: (from) => ({ from }) })
        case "sms":
          return Option.match(config.smsFrom, { onNone: () => ({}), onSome: (from) => ({ from }) })
      }
    }

    /** Sends `text` to `to` through `route` and returns GreenSMS's request id once it accepted the message. */
    const send = (route: DeliveryRoute, to: NormalizedPhone, text: string) =>
      Effect.gen(function* () {
        const started = yield* Clock.currentTimeMillis
        const request = HttpClientRequest.post(`${config.baseUrl}/${route}/send`).pipe(
          HttpClientRequest.setHeaders(authHeaders),
          HttpClientRequest.bodyUnsafeJson({ to, txt: text, ...routeParams(route), ...authParams })
        )
        return yield* client.execute(request).pipe(
          Effect.mapError(
            (error) =>
              new DeliveryFailed({
                route,
                reason: error._tag === "RequestError" ? classifyTransport(error) : "connection_reset",
                detail: error.message
              })
          ),
          Effect.flatMap((response) =>
            response.text.pipe(
              Effect.mapError(
                (error) => new DeliveryFailed({ route, reason: "connection_reset", detail: error.message })
              ),
              Effect.flatMap((body) => {
                const json = parseJsonOrUndefined(body) as
                  | { error?: unknown; code?: unknown; request_id?: unknown }
                  | undefined
                if (typeof json === "object" && json !== null && "error" in json) {
                  return Effect.fail(
                    new DeliveryFailed({
                      route,
                      reason: "rejected",
                      status: response.status,
                      code: typeof json.code === "number" ? json.code : undefined,
                      detail: String(json.error)
                    })
                  )
                }
                if (response.status >= 200 && response.status < 300 && typeof json?.request_id === "string") {
                  return Effect.succeed({ requestId: json.request_id })
                }
                return Effect.fail(
                  new DeliveryFailed({
                    route,
                    reason: "bad_response",
                    status: response.status,
                    detail: `unexpected reply of ${body.length} bytes`
                  })
                )
              })
            )
          ),
          withCallTimeout(config.timeout, () => new DeliveryFailed({ route, reason: "timeout", detail: "timed out" })),
          Effect.tapError((error) =>
            Effect.flatMap(Clock.currentTimeMillis, (now) =>
              Effect.logWarning("GreenSMS send failed").pipe(
                Effect.annotateLogs({
                  upstream: "greensms",
                  route,
                  phone: maskPhone(to),
                  reason: error.reason,
                  status: error.status,
                  code: error.code,
                  detail: error.detail,
                  latencyMs: now - started
                })
              )
            )
          )
        )
      })

    return { send } as const
  })
}) {}
