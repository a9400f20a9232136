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
import { ServicesLive } from "./Services.js"
import { DatabaseLive } from "./storage/Database.js"

const ApiLive = HttpApiBuilder.api(BotApi).pipe(
  Layer.provide([HealthHttpLive, AuthHttpLive, OrdersHttpLive]),
  Layer.provide(WebhookAuthLive)
)

const LifecycleLogLive = Layer.scopedDiscard(Effect.addFinalizer(() => Effect.logInfo("Service stopped")))

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
    Layer.provideMerge(ServicesLive),
    Layer.provide(DatabaseLive),
    Layer.provide(NodeHttpClient.layerUndici),
    HttpServer.withLogAddress,
    Layer.provideMerge(server)
  )
