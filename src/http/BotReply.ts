import { Cause, Effect } from "effect"
import { AppConfig } from "../Config.js"
import { BotError } from "../domain/BotError.js"
import type { BotInput } from "../domain/BotInput.js"
import type { ErrorCode } from "../domain/ErrorCode.js"
import { errorMessages, statusForCode } from "../domain/ErrorCode.js"
import { withDeadline } from "../upstream/Deadline.js"
import { recordErrorCode } from "./RequestLog.js"
import { readBotInput } from "./readBotInput.js"

/** Fields every bot reply has. */
export interface BaseReply {
  readonly status: string
  readonly errorCode: ErrorCode | null
  readonly message: string | null
}

/** A bot endpoint's reply: its statuses and every field with the value it has when it does not apply. */
export interface ReplyDefinition<Reply extends BaseReply> {
  readonly statuses: ReadonlyArray<Reply["status"]>
  readonly blank: Reply
}

/**
 * Derives a reply definition from its schema: the statuses of its `status` literal, and a blank in which
 * every field is `null` but `status` (`error`) and the fields given in `nonNull`.
 */
export const replyDefinition = <
  Reply extends BaseReply,
  Fields extends { readonly status: { readonly literals: ReadonlyArray<Reply["status"]> } }
>(
  schema: { readonly Type: Reply; readonly fields: Fields },
  nonNull: Partial<Reply> = {}
): ReplyDefinition<Reply> => ({
  statuses: schema.fields.status.literals,
  blank: {
    ...Object.fromEntries(Object.keys(schema.fields).map((field) => [field, null])),
    ...nonNull,
    status: "error"
  } as unknown as Reply
})

/** Builds the reply for a failure: the status its code maps to (or `error`), the code and its fixed message. */
export const errorReply = <Reply extends BaseReply>(definition: ReplyDefinition<Reply>, error: BotError): Reply => {
  const mapped = statusForCode(error.code)
  const status = definition.statuses.includes(mapped) ? mapped : "error"
  const reply: { [field: string]: unknown } = {
    ...(definition.blank as unknown as { [field: string]: unknown }),
    status,
    errorCode: error.code,
    message: errorMessages[error.code]
  }
  for (const [field, value] of Object.entries(error.fields ?? {})) {
    if (field in reply && field !== "status" && field !== "errorCode" && field !== "message") reply[field] = value
  }
  if ("retryAfterSec" in definition.blank) reply.retryAfterSec = error.retryAfterSec ?? null
  if ("text" in definition.blank) reply.text = error.text ?? null
  return reply as unknown as Reply
}

/**
 * Runs a bot endpoint: reads the request's fields, decodes them with `read`, runs `flow` within the
 * request deadline, and turns every outcome into an HTTP 200 reply with the endpoint's complete field
 * set. A bug becomes `internal_error` and is logged with its cause; the deadline becomes `timeout`.
 */
export const runBotEndpoint =
  <Reply extends BaseReply, Request, R>(
    definition: ReplyDefinition<Reply>,
    read: (input: BotInput) => Effect.Effect<Request, BotError>,
    flow: (request: Request) => Effect.Effect<Partial<Reply> & Pick<Reply, "status">, BotError, R>
  ) =>
  () =>
    Effect.gen(function* () {
      const { http } = yield* AppConfig
      const reply = yield* readBotInput.pipe(
        Effect.flatMap(read),
        Effect.flatMap(flow),
        Effect.timeoutFail({ duration: http.requestTimeout, onTimeout: () => new BotError({ code: "timeout" }) }),
        withDeadline(http.requestTimeout),
        Effect.map((fields): Reply => ({ ...definition.blank, ...fields, errorCode: null, message: null })),
        Effect.catchTag("BotError", (error) => Effect.succeed(errorReply(definition, error))),
        Effect.catchAllCause((cause) =>
          Cause.isInterruptedOnly(cause)
            ? Effect.failCause(cause)
            : Effect.logError("Request failed unexpectedly").pipe(
                Effect.annotateLogs("cause", Cause.pretty(cause)),
                Effect.as(errorReply(definition, new BotError({ code: "internal_error" })))
              )
        )
      )
      yield* recordErrorCode(reply.errorCode)
      return reply
    })
