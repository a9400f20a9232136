import { createServer } from "node:http"
import { NodeContext, NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { AppConfig, AppConfigLive, InvalidConfig } from "./Config.js"
import { serviceLayer } from "./Http.js"
import { loggingLayer } from "./Logging.js"

const main = Effect.gen(function* () {
  const settings = yield* Effect.provide(AppConfig, AppConfigLive)
  const server = NodeHttpServer.layer(createServer, { host: settings.http.host, port: settings.http.port })
  return yield* Layer.launch(
    serviceLayer(server).pipe(
      Layer.provide(Layer.succeed(AppConfig, settings)),
      Layer.provide(loggingLayer(settings.logLevel))
    )
  )
}).pipe(
  Effect.provide(NodeContext.layer),
  Effect.catchTag("ServeError", (error) =>
    Effect.sync(() => {
      const cause = error.cause as { code?: string; message?: string } | undefined
      process.stderr.write(
        `Could not start the HTTP server: ${cause?.message ?? String(error.cause)}${cause?.code === "EADDRINUSE" ? ". Another process uses the port: set APP_PORT to a free one." : ""}\n`
      )
      process.exitCode = 1
    })
  ),
  Effect.catchIf(
    (error): error is InvalidConfig => error instanceof InvalidConfig,
    (error) =>
      Effect.sync(() => {
        process.stderr.write(`${error.message}\n`)
        process.exitCode = 1
      })
  )
)

NodeRuntime.runMain(main, { disablePrettyLogger: true })
