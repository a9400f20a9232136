import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { BotApi } from "../Api.js"

export const HealthHttpLive = HttpApiBuilder.group(BotApi, "health", (handlers) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    return handlers.handleRaw("health", () =>
      sql`SELECT 1`.pipe(
        Effect.as(HttpServerResponse.unsafeJson({ status: "ok" })),
        Effect.catchAll((error) =>
          Effect.logError("Health check failed: the database query failed").pipe(
            Effect.annotateLogs("error", error.message),
            Effect.as(HttpServerResponse.unsafeJson({ status: "error" }, { status: 503 }))
          )
        )
      )
    )
  })
)
