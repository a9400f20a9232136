import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { AppConfig } from "../Config.js"
import type { ChannelType } from "../domain/Identity.js"
import type { NormalizedPhone } from "../domain/Phone.js"

const minute = 60_000
const hour = 60 * minute
const day = 24 * hour

export interface SendRequest {
  readonly sessionId: string
  readonly phone: NormalizedPhone
  readonly channelType: ChannelType
  readonly accountId: string
  readonly now: number
}

export type Reservation =
  | { readonly _tag: "Reserved"; readonly id: number }
  | { readonly _tag: "Limited"; readonly retryAfterSec: number }

/**
 * Sliding-window limits on code sends, per phone and per messenger account, counted in SQLite. A send is
 * reserved before the code goes out, in one transaction with the count, so two concurrent requests cannot
 * both take the last slot. Fake sessions reserve like real ones, so the limits reveal nothing about who is
 * a customer.
 */
export class SendLimits extends Effect.Service<SendLimits>()("retailcrm-bot-auth/SendLimits", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const { otp } = yield* AppConfig

    const phoneWindows = [
      { millis: 15 * minute, limit: otp.sendsPerPhone15Min },
      { millis: hour, limit: otp.sendsPerPhoneHour },
      { millis: day, limit: otp.sendsPerPhoneDay }
    ]
    const accountWindows = [
      { millis: hour, limit: otp.sendsPerAccountHour },
      { millis: day, limit: otp.sendsPerAccountDay }
    ]

    /**
     * Returns when the window will allow one more send, or `undefined` when it allows one now: the
     * send that must drop out is the (count - limit + 1)-th oldest in the window.
     */
    const windowReopensAt = (
      sends: ReadonlyArray<number>,
      window: { readonly millis: number; readonly limit: number },
      now: number
    ): number | undefined => {
      const inWindow = sends.filter((sentAt) => sentAt > now - window.millis)
      if (inWindow.length < window.limit) return undefined
      const blocking = inWindow[inWindow.length - window.limit]
      return blocking === undefined ? undefined : blocking + window.millis
    }

    const reserve = (request: SendRequest): Effect.Effect<Reservation> =>
      sql
        .withTransaction(
          Effect.gen(function* () {
            const since = request.now - day
            const byPhone = yield* sql<{ sentAt: number }>`
              SELECT sent_at FROM otp_sends WHERE phone = ${request.phone} AND sent_at > ${since} ORDER BY sent_at`
            const byAccount = yield* sql<{ sentAt: number }>`
              SELECT sent_at FROM otp_sends
              WHERE channel_type = ${request.channelType} AND account_id = ${request.accountId} AND sent_at > ${since}
              ORDER BY sent_at`
            const reopenTimes = [
              ...phoneWindows.map((window) =>
                windowReopensAt(
                  byPhone.map((row) => row.sentAt),
                  window,
                  request.now
                )
              ),
              ...accountWindows.map((window) =>
                windowReopensAt(
                  byAccount.map((row) => row.sentAt),
                  window,
                  request.now
                )
              )
            ].filter((time): time is number => time !== undefined)
            if (reopenTimes.length > 0) {
              const retryAfterSec = Math.max(1, Math.ceil((Math.max(...reopenTimes) - request.now) / 1000))
              return { _tag: "Limited", retryAfterSec } as const
            }
            const inserted = yield* sql<{ id: number }>`
              INSERT INTO otp_sends ${sql.insert({
                sessionId: request.sessionId,
                phone: request.phone,
                channelType: request.channelType,
                accountId: request.accountId,
                sentAt: request.now
              })} RETURNING id`
            return { _tag: "Reserved", id: inserted[0]?.id ?? 0 } as const
          })
        )
        .pipe(Effect.orDie, Effect.withSpan("SendLimits.reserve"))

    /** Gives a reserved send back after no route accepted the code. */
    const release = (reservationId: number) =>
      sql`DELETE FROM otp_sends WHERE id = ${reservationId}`.pipe(Effect.asVoid, Effect.orDie)

    /** Forgets sends older than the longest window. */
    const purge = (now: number) =>
      sql`DELETE FROM otp_sends WHERE sent_at <= ${now - day}`.pipe(Effect.asVoid, Effect.orDie)

    return { reserve, release, purge } as const
  })
}) {}
