import { Data, Effect } from "effect"
import type { ErrorCode } from "./ErrorCode.js"

/**
 * A bot request that ends with an error code of its own: the endpoint replies HTTP 200 with the status
 * the code maps to, the code and its fixed message. `retryAfterSec`, `text` and `fields` fill the reply
 * fields of the same names where the endpoint has them.
 */
export class BotError extends Data.TaggedError("BotError")<{
  readonly code: ErrorCode
  readonly retryAfterSec?: number | undefined
  readonly text?: string | undefined
  /** Other reply fields the failure fills in, such as the order it concerns; keys the reply lacks are ignored. */
  readonly fields?: Readonly<Record<string, string | boolean | null>> | undefined
}> {}

export const reject = (
  code: ErrorCode,
  details?: {
    readonly retryAfterSec?: number | undefined
    readonly text?: string | undefined
    readonly fields?: Readonly<Record<string, string | boolean | null>> | undefined
  }
): Effect.Effect<never, BotError> => Effect.fail(new BotError({ code, ...details }))
