import { randomUUID } from "node:crypto"
import { HttpApp, HttpMiddleware, HttpServerError, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Cause, Clock, Context, Effect, Exit, Option } from "effect"

/** Facts about the current request that its log line reports, filled in while it runs. */
export class RequestMeta extends Context.Tag("retailcrm-bot-auth/RequestMeta")<
  RequestMeta,
  { errorCode: string | null }
>() {}

/** Records the reply's error code for the request's log line. */
export const recordErrorCode = (errorCode: string | null) =>
  Effect.flatMap(Effect.serviceOption(RequestMeta), (meta) =>
    Effect.sync(() => {
      if (Option.isSome(meta)) meta.value.errorCode = errorCode
    })
  )

// A caller's request id is kept when it is a plain token, so its logs and ours can be matched.
const validRequestId = /^[A-Za-z0-9._-]{1,64}$/

/**
 * Writes one JSON log line per request (request id, method, path, status, error code, latency) and
 * returns the request id in `X-Request-Id`. The query string is left out of the line because it may
 * hold a phone number. Failed requests are logged from the app's exit, whose status is the one the
 * server sends.
 */
export const requestLogger = HttpMiddleware.make((app) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const started = yield* Clock.currentTimeMillis
    const incomingId = request.headers["x-request-id"]
    const requestId = incomingId !== undefined && validRequestId.test(incomingId) ? incomingId : randomUUID()
    const meta = { errorCode: null as string | null }
    // The server writes the response before this middleware receives the exit, so the header is added here.
    yield* HttpApp.appendPreResponseHandler((_, response) =>
      Effect.succeed(HttpServerResponse.setHeader(response, "X-Request-Id", requestId))
    )

    const exit = yield* app.pipe(
      Effect.provideService(RequestMeta, meta),
      Effect.annotateLogs({ requestId }),
      Effect.exit
    )
    const status = Exit.isSuccess(exit)
      ? exit.value.status
      : (yield* HttpServerError.causeResponse(exit.cause))[0].status
    const latencyMs = (yield* Clock.currentTimeMillis) - started
    const line = Effect.annotateLogs({
      requestId,
      method: request.method,
      path: request.url.split("?")[0],
      status,
      errorCode: meta.errorCode,
      latencyMs
    })
    if (status >= 500) {
      yield* Effect.logError("request").pipe(
        line,
        Effect.annotateLogs("cause", Exit.isFailure(exit) ? Cause.pretty(exit.cause) : undefined)
      )
    } else {
      yield* Effect.logInfo("request").pipe(line)
    }
    return yield* exit
  })
)
