import { createRequire } from "node:module"
import { HttpApi, OpenApi } from "@effect/platform"
import { AuthApi } from "./authorization/Api.js"
import { HealthApi } from "./health/Api.js"
import { OrdersApi } from "./orders/Api.js"
import { RecommendedApi } from "./recommended/Api.js"

// Both src/ (under tsx) and dist/ sit next to package.json.
const { version } = createRequire(import.meta.url)("../package.json") as { version: string }

/**
 * Drops the 400 responses the platform adds to every operation: the handlers read requests themselves
 * and reply to bad input with HTTP 200 and `invalid_request`, so a 400 never happens.
 */
// biome-ignore lint/suspicious/noExplicitAny: the platform types the OpenAPI transform with `any`.
const withoutDecodeErrors = (spec: Record<string, any>) => {
  for (const path of Object.values(spec.paths ?? {}) as Array<
    Record<string, { responses?: Record<string, unknown> }>
  >) {
    for (const operation of Object.values(path)) delete operation.responses?.["400"]
  }
  for (const unused of ["HttpApiDecodeError", "Issue", "PropertyKey"]) delete spec.components?.schemas?.[unused]
  return spec
}

/** The service's HTTP API; `/openapi.json` and `/docs` are generated from it. */
export class BotApi extends HttpApi.make("retailcrm-bot-auth")
  .add(HealthApi)
  .add(AuthApi)
  .add(OrdersApi)
  .add(RecommendedApi)
  .annotate(OpenApi.Title, "retailcrm-bot-auth")
  .annotate(OpenApi.Version, version)
  .annotate(
    OpenApi.Description,
    "Messenger account authorization with one-time codes for BotMarketing chatbots, backed by RetailCRM."
  )
  .annotate(OpenApi.Transform, withoutDecodeErrors) {}
