import { HttpApiBuilder, HttpApiSwagger, HttpServer } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { BotApi } from "./Api.js"
import { AuthHttpLive } from "./authorization/Http.js"
import { HealthHttpLive } from "./health/Http.js"
import { requestLogger } from "./http/RequestLog.js"
import { WebhookAuthLive } from "./http/WebhookAuth.js"
import { MaintenanceLive } from "./Maintenance.js"
import { OrdersHttpLive } from "./orders/Http.js"
import { RecommendedHttpLive } from "./recommended/Http.js"
import { ReferenceData } from "./retailcrm/ReferenceData.js"
import { ServicesLive } from "./Services.js"
import { DatabaseLive } from "./storage/Database.js"

const ApiLive = HttpApiBuilder.api(BotApi).pipe(
  Layer.provide([HealthHttpLive, AuthHttpLive, OrdersHttpLive, RecommendedHttpLive]),
  Layer.provide(WebhookAuthLive)
)

const LifecycleLogLive = Layer.scopedDiscard(Effect.addFinalizer(() => Effect.logInfo("Service stopped")))

/**
 * Reads RetailCRM's order statuses once at start-up: this warms the reference cache and shows a wrong
 * URL or API key in the log before the first shopper meets it. A failure does not stop the start.
 */
const RetailCrmCheckLive = Layer.effectDiscard(
  Effect.flatMap(ReferenceData, (reference) => reference.orderStatuses).pipe(
    Effect.zipRight(Effect.logInfo("RetailCRM answered the start-up check")),
    Effect.catchAll((error) =>
      Effect.logError(
        "RetailCRM start-up check failed; bot requests get crm_unavailable until RetailCRM responds. Check RETAILCRM_BASE_URL and RETAILCRM_API_KEY"
      ).pipe(
        Effect.annotateLogs({ error: error._tag, errorMsg: error._tag === "CrmRejected" ? error.errorMsg : undefined })
      )
    )
  )
)

/**
 * The whole service on the given HTTP server: API, docs at `/docs`, OpenAPI at `/openapi.json`, the
 * request log, storage, upstream clients and background maintenance. Needs `AppConfig` and, through
 * `server`, the platform's HTTP services (`NodeHttpServer.layer` provides them).
 */
export const serviceLayer = <ROut, E, R>(server: Layer.Layer<ROut, E, R>) =>
  HttpApiBuilder.serve(requestLogger).pipe(
    Layer.provide(HttpApiSwagger.layer({ path: "/docs" })),
    Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
    Layer.provide(ApiLive),
    Layer.provide(MaintenanceLive),
    Layer.provide(LifecycleLogLive),
    Layer.provide(RetailCrmCheckLive),
    Layer.provideMerge(ServicesLive),
    Layer.provide(DatabaseLive),
    Layer.provide(NodeHttpClient.layerUndici),
    HttpServer.withLogAddress,
    Layer.provideMerge(server)
  )
