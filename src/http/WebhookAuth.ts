import { timingSafeEqual } from "node:crypto"
import { HttpApiError, HttpApiMiddleware, HttpApiSecurity } from "@effect/platform"
import { Effect, Layer, Option, Redacted } from "effect"
import { AppConfig } from "../Config.js"

/**
 * The shared secret BotMarketing sends with every bot request, in the `X-Webhook-Token` header or the
 * `token` query parameter. Without `WEBHOOK_TOKEN` set, every request passes.
 */
export class WebhookAuth extends HttpApiMiddleware.Tag<WebhookAuth>()("retailcrm-bot-auth/WebhookAuth", {
  failure: HttpApiError.Unauthorized,
  security: {
    header: HttpApiSecurity.apiKey({ key: "X-Webhook-Token", in: "header" }),
    query: HttpApiSecurity.apiKey({ key: "token", in: "query" })
  }
}) {}

/** Compares in constant time; a length difference is visible, the content is not. */
const sameSecret = (received: string, expected: string): boolean => {
  const a = Buffer.from(received, "utf8")
  const b = Buffer.from(expected, "utf8")
  return a.length === b.length && timingSafeEqual(a, b)
}

export const WebhookAuthLive = Layer.effect(
  WebhookAuth,
  Effect.gen(function* () {
    const { http } = yield* AppConfig
    if (Option.isNone(http.webhookToken)) {
      yield* Effect.logWarning("WEBHOOK_TOKEN is not set: the bot endpoints accept requests from anyone")
    }
    // A missing header or parameter arrives as an empty value, which never matches a set token.
    const check = (received: Redacted.Redacted) =>
      Option.match(http.webhookToken, {
        onNone: () => Effect.void,
        onSome: (expected) =>
          sameSecret(Redacted.value(received), Redacted.value(expected))
            ? Effect.void
            : Effect.fail(new HttpApiError.Unauthorized())
      })
    return { header: check, query: check }
  })
)
