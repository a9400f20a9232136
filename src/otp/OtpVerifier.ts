import { Clock, Effect, Option } from "effect"
import { AppConfig } from "../Config.js"
import { BotError } from "../domain/BotError.js"
import type { MessengerIdentity } from "../domain/Identity.js"
import { verifyCode } from "./OtpCode.js"
import type { OtpSession, Purpose } from "./OtpSession.js"
import { OtpSessions } from "./OtpSessions.js"

export interface CheckRequest {
  readonly sessionId: string
  readonly code: string
  readonly purpose: Purpose
  readonly identity: MessengerIdentity
}

const isOwnedBy = (session: OtpSession, request: CheckRequest) =>
  session.purpose === request.purpose &&
  session.channelType === request.identity.channelType &&
  session.accountId === request.identity.accountId

/**
 * Verifies a submitted code and claims the session for the caller. The attempt is counted atomically
 * before the comparison, so parallel guesses cannot exceed `OTP_MAX_ATTEMPTS`. Of several checks with
 * the right code, only the one that wins the claim proceeds. The caller must then close the session or
 * release the claim.
 */
export class OtpVerifier extends Effect.Service<OtpVerifier>()("retailcrm-bot-auth/OtpVerifier", {
  effect: Effect.gen(function* () {
    const { otp } = yield* AppConfig
    const sessions = yield* OtpSessions

    /** Loads the caller's own session; another account's session is reported as unknown, untouched. */
    const load = (request: CheckRequest) =>
      Effect.flatMap(sessions.find(request.sessionId), (found) =>
        Option.isSome(found) && isOwnedBy(found.value, request)
          ? Effect.succeed(found.value)
          : Effect.fail(new BotError({ code: "session_not_found" }))
      )

    const closedOrExpired = (session: OtpSession, now: number) => {
      if (now >= session.expiresAt && (session.state === "active" || session.state === "claimed")) {
        return Option.some(new BotError({ code: "code_expired" }))
      }
      if (session.state !== "active" && session.state !== "claimed") {
        return Option.some(new BotError({ code: "session_closed" }))
      }
      return Option.none()
    }

    const verify = (request: CheckRequest): Effect.Effect<OtpSession, BotError> =>
      Effect.gen(function* () {
        const session = yield* load(request)
        const now = yield* Clock.currentTimeMillis
        const closed = closedOrExpired(session, now)
        if (Option.isSome(closed)) return yield* closed.value

        const counted = yield* sessions.countAttempt(session.id, now)
        if (Option.isNone(counted)) {
          // The session closed or expired between the read and the count.
          const current = yield* load(request)
          return yield* Option.getOrElse(closedOrExpired(current, now), () => new BotError({ code: "session_closed" }))
        }
        const { attempts, code, resends } = counted.value
        if (attempts > otp.maxAttempts) {
          yield* Effect.logInfo("Check refused: too many attempts").pipe(
            Effect.annotateLogs({ sessionId: session.id, attempts })
          )
          return yield* new BotError({ code: "too_many_attempts" })
        }

        const matches = yield* verifyCode(request.code, code, otp.pepper)
        if (!matches || session.isFake) {
          yield* Effect.logInfo("Check failed: wrong code").pipe(
            Effect.annotateLogs({ sessionId: session.id, attempts })
          )
          return yield* new BotError({ code: "code_invalid" })
        }

        if (!(yield* sessions.claim(session.id, resends, yield* Clock.currentTimeMillis))) {
          return yield* new BotError({ code: "session_closed" })
        }
        return session
      })

    return { load, verify } as const
  })
}) {}
