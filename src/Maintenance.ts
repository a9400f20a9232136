import { Clock, Effect, Layer, Schedule } from "effect"
import { OtpSessions } from "./otp/OtpSessions.js"
import { SendLimits } from "./otp/SendLimits.js"

// Expired sessions are kept this long after expiry, for support questions, then deleted.
const sessionRetentionMillis = 7 * 24 * 60 * 60 * 1000

/** Deletes old sessions and send records every ten minutes, starting at start-up. */
export const MaintenanceLive = Layer.scopedDiscard(
  Effect.gen(function* () {
    const sessions = yield* OtpSessions
    const limits = yield* SendLimits
    const purge = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      yield* sessions.purge(now, sessionRetentionMillis)
      yield* limits.purge(now)
    }).pipe(Effect.catchAllCause((cause) => Effect.logError("Purge of old sessions failed", cause)))
    yield* Effect.forkScoped(Effect.repeat(purge, Schedule.spaced("10 minutes")))
  })
)
