import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"

export const HealthApi = HttpApiGroup.make("health").add(
  HttpApiEndpoint.get("health", "/health")
    .addSuccess(Schema.Struct({ status: Schema.Literal("ok") }).annotations({ identifier: "HealthOk" }))
    .addError(Schema.Struct({ status: Schema.Literal("error") }).annotations({ identifier: "HealthDown" }), {
      status: 503
    })
    .annotate(OpenApi.Summary, "Liveness and database check; needs no webhook token")
)
