import { randomUUID } from "node:crypto"
import { Clock, Effect, Option } from "effect"
import { AppConfig } from "../Config.js"
import { BotError } from "../domain/BotError.js"
import { hasAllowedPrefix, maskPhone } from "../domain/Phone.js"
import { CodeDelivery } from "./CodeDelivery.js"
import { generateCode, hashCode } from "./OtpCode.js"
import type { DeliveryRoute, OtpSession, SessionOwner } from "./OtpSession.js"
import { OtpSessions } from "./OtpSessions.js"
import { OwnerLocks } from "./OwnerLocks.js"
import { SendLimits } from "./SendLimits.js"

/** Customer a new session verifies: a known one, one to create after the check, or none (a fake session). */
export type SessionTarget =
  | { readonly _tag: "Customer"; readonly customerId: string }
  | { readonly _tag: "CreateCustomer" }
  | { readonly _tag: "Fake" }

export interface IssueRequest {
  readonly owner: SessionOwner
  readonly chatExternalId: string | undefined
  readonly route: DeliveryRoute
  /** Finds the session's target; runs only when the start is not a double tap and the phone may get codes. */
  readonly target: Effect.Effect<SessionTarget, BotError>
  readonly details?: string | undefined
  /**
   * Returns whether an earlier session of the same owner was for the same request, which makes a start
   * within its cooldown a double tap. By default every earlier session counts. A recommended order for
   * another set is a new request, not a double tap.
   */
  readonly isRepeatOf?: ((earlier: OtpSession) => boolean) | undefined
}

export interface Issued {
  readonly sessionId: string
  readonly maskedPhone: string
  readonly retryAfterSec: number
}

export interface ResendRequest {
  readonly sessionId: string
  readonly purpose: OtpSession["purpose"]
  readonly channelType: OtpSession["channelType"]
  /** When given, it must be the session's account. */
  readonly accountId: Option.Option<string>
  readonly route: Option.Option<DeliveryRoute>
}

const ownerKey = (owner: SessionOwner) => `${owner.purpose}|${owner.channelType}|${owner.accountId}|${owner.phone}`

const secondsUntil = (time: number, now: number) => Math.max(1, Math.ceil((time - now) / 1000))

/**
 * Issues one-time codes: starts new sessions and resends codes of existing ones. Starts and resends of
 * one owner (purpose, messenger account, phone) run one at a time.
 */
export class OtpIssuer extends Effect.Service<OtpIssuer>()("retailcrm-bot-auth/OtpIssuer", {
  effect: Effect.gen(function* () {
    const { otp } = yield* AppConfig
    const sessions = yield* OtpSessions
    const limits = yield* SendLimits
    const locks = yield* OwnerLocks
    const delivery = yield* CodeDelivery
    const cooldownMillis = otp.resendCooldownSeconds * 1000

    const newCode = Effect.suspend(() => {
      const code = generateCode(otp.codeLength)
      return Effect.map(hashCode(code, { iterations: otp.hashIterations, pepper: otp.pepper }), (hash) => ({
        code,
        hash
      }))
    })

    /** Sends the code, or imitates the send for a fake session, and returns the route that accepted it. */
    const send = (session: Pick<OtpSession, "id" | "isFake" | "phone">, route: DeliveryRoute, code: string) =>
      session.isFake ? delivery.imitate(route) : delivery.deliver(route, session.phone, code, session.id)

    /**
     * Starts a session: a double tap within the resend cooldown gets the earlier session's reply, then the
     * send limits apply, then the code is stored and sent. Phones outside `OTP_ALLOWED_PHONE_PREFIXES` get
     * a fake session, as do unknown phones when `target` returns `Fake`.
     */
    const start = (request: IssueRequest): Effect.Effect<Issued, BotError> =>
      locks.withLock(ownerKey(request.owner))(
        Effect.gen(function* () {
          const { owner } = request
          const maskedPhone = maskPhone(owner.phone)
          const now = yield* Clock.currentTimeMillis

          const earlier = yield* sessions.findRecentlySent(owner, now - cooldownMillis)
          if (Option.isSome(earlier) && (request.isRepeatOf?.(earlier.value) ?? true)) {
            yield* Effect.logInfo("Start repeated within the cooldown; returning the earlier session").pipe(
              Effect.annotateLogs({ sessionId: earlier.value.id, phone: maskedPhone })
            )
            return {
              sessionId: earlier.value.id,
              maskedPhone,
              retryAfterSec: secondsUntil((earlier.value.sentAt ?? now) + cooldownMillis, now)
            }
          }

          const target: SessionTarget = hasAllowedPrefix(owner.phone, otp.allowedPhonePrefixes)
            ? yield* request.target
            : { _tag: "Fake" }

          const sessionId = randomUUID()
          const reservation = yield* limits.reserve({ sessionId, ...owner, now })
          if (reservation._tag === "Limited") {
            yield* Effect.logInfo("Code send refused by the send limits").pipe(
              Effect.annotateLogs({ phone: maskedPhone, retryAfterSec: reservation.retryAfterSec })
            )
            return yield* new BotError({ code: "rate_limited", retryAfterSec: reservation.retryAfterSec })
          }

          const { code, hash } = yield* newCode
          const session = {
            id: sessionId,
            ...owner,
            chatExternalId: request.chatExternalId ?? null,
            customerId: target._tag === "Customer" ? target.customerId : null,
            isFake: target._tag === "Fake",
            requestedRoute: request.route,
            code: hash,
            createdAt: now,
            expiresAt: now + otp.ttlSeconds * 1000,
            details: request.details ?? null
          }
          yield* sessions.insertPending(session)

          const accepted = yield* send(session, request.route, code).pipe(
            Effect.tapError(() => Effect.zipRight(sessions.deletePending(sessionId), limits.release(reservation.id))),
            Effect.mapError(() => new BotError({ code: "delivery_failed" }))
          )
          const sentAt = yield* Clock.currentTimeMillis
          yield* sessions.activate(session, accepted, sentAt)
          yield* Effect.logInfo(session.isFake ? "Fake session created; nothing was sent" : "Code sent").pipe(
            Effect.annotateLogs({
              sessionId,
              purpose: owner.purpose,
              phone: maskedPhone,
              route: accepted,
              fake: session.isFake,
              customerId: session.customerId
            })
          )
          return { sessionId, maskedPhone, retryAfterSec: otp.resendCooldownSeconds }
        })
      )

    /**
     * Sends a new code for an open session: the old code stops working, the lifetime restarts, the attempt
     * counter stays. Refused before the cooldown ends, after `OTP_MAX_RESENDS` resends and over the send limits.
     */
    const resend = (request: ResendRequest): Effect.Effect<Issued, BotError> =>
      Effect.gen(function* () {
        const found = yield* sessions.find(request.sessionId)
        if (
          Option.isNone(found) ||
          found.value.purpose !== request.purpose ||
          found.value.channelType !== request.channelType ||
          (Option.isSome(request.accountId) && request.accountId.value !== found.value.accountId)
        ) {
          return yield* new BotError({ code: "session_not_found" })
        }
        return yield* locks.withLock(ownerKey(found.value))(resendLocked(request))
      })

    const resendLocked = (request: ResendRequest) =>
      Effect.gen(function* () {
        // Read again under the lock: a concurrent resend may have changed the session.
        const session = Option.getOrUndefined(yield* sessions.find(request.sessionId))
        if (session === undefined) return yield* new BotError({ code: "session_not_found" })
        const maskedPhone = maskPhone(session.phone)
        const fields = { maskedPhone }
        const now = yield* Clock.currentTimeMillis

        if (session.state !== "active" || session.attempts >= otp.maxAttempts) {
          return yield* new BotError({ code: "session_closed", fields })
        }
        if (now >= session.expiresAt) return yield* new BotError({ code: "code_expired", fields })
        const resendAllowedAt = (session.sentAt ?? now) + cooldownMillis
        if (now < resendAllowedAt) {
          return yield* new BotError({
            code: "resend_too_early",
            retryAfterSec: secondsUntil(resendAllowedAt, now),
            fields
          })
        }
        if (session.resends >= otp.maxResends) {
          yield* Effect.logInfo("Resend refused: the session used all its resends").pipe(
            Effect.annotateLogs({ sessionId: session.id, phone: maskedPhone })
          )
          return yield* new BotError({ code: "rate_limited", fields })
        }

        const reservation = yield* limits.reserve({ sessionId: session.id, ...session, now })
        if (reservation._tag === "Limited") {
          return yield* new BotError({ code: "rate_limited", retryAfterSec: reservation.retryAfterSec, fields })
        }

        const route = Option.getOrElse(request.route, () => session.requestedRoute)
        const { code, hash } = yield* newCode
        const accepted = yield* send(session, route, code).pipe(
          Effect.tapError(() => limits.release(reservation.id)),
          Effect.mapError(() => new BotError({ code: "delivery_failed", fields }))
        )
        const sentAt = yield* Clock.currentTimeMillis
        const replaced = yield* sessions.replaceCode(session.id, {
          code: hash,
          route: accepted,
          now: sentAt,
          expiresAt: sentAt + otp.ttlSeconds * 1000
        })
        if (!replaced) return yield* new BotError({ code: "session_closed", fields })
        yield* Effect.logInfo(session.isFake ? "Fake session resent; nothing was sent" : "Code resent").pipe(
          Effect.annotateLogs({ sessionId: session.id, phone: maskedPhone, route: accepted, fake: session.isFake })
        )
        return { sessionId: session.id, maskedPhone, retryAfterSec: otp.resendCooldownSeconds }
      })

    return { start, resend } as const
  })
}) {}
