import { SqlClient } from "@effect/sql"
import { Effect, Option, Schema } from "effect"
import type { NormalizedPhone } from "../domain/Phone.js"
import type { OtpSession, SessionOwner, SessionState, VerificationMethod } from "./OtpSession.js"

// A claim older than this is taken as abandoned (the process died mid-check), so the session opens again.
const staleClaimMillis = 60_000

const SessionRow = Schema.Struct({
  id: Schema.String,
  purpose: Schema.Literal("auth", "recommended_order"),
  channelType: Schema.Literal("telegram", "vk", "whatsapp", "max", "instagram"),
  accountId: Schema.String,
  chatExternalId: Schema.NullOr(Schema.String),
  phone: Schema.String,
  customerId: Schema.NullOr(Schema.String),
  isFake: Schema.Number,
  requestedRoute: Schema.Literal("telegram", "vk", "sms"),
  route: Schema.NullOr(Schema.Literal("telegram_otp", "vk_otp", "sms_otp")),
  codeHash: Schema.Uint8ArrayFromSelf,
  codeSalt: Schema.Uint8ArrayFromSelf,
  hashIterations: Schema.Number,
  state: Schema.Literal("pending", "active", "claimed", "used", "superseded", "ended"),
  attempts: Schema.Number,
  resends: Schema.Number,
  createdAt: Schema.Number,
  sentAt: Schema.NullOr(Schema.Number),
  expiresAt: Schema.Number,
  claimedAt: Schema.NullOr(Schema.Number),
  details: Schema.NullOr(Schema.String)
})

const decodeRow = Schema.decodeUnknown(SessionRow)

const toSession = (row: typeof SessionRow.Type): OtpSession => ({
  id: row.id,
  purpose: row.purpose,
  channelType: row.channelType,
  accountId: row.accountId,
  chatExternalId: row.chatExternalId,
  phone: row.phone as NormalizedPhone,
  customerId: row.customerId,
  isFake: row.isFake !== 0,
  requestedRoute: row.requestedRoute,
  route: row.route,
  code: { hash: row.codeHash, salt: row.codeSalt, iterations: row.hashIterations },
  state: row.state,
  attempts: row.attempts,
  resends: row.resends,
  createdAt: row.createdAt,
  sentAt: row.sentAt,
  expiresAt: row.expiresAt,
  claimedAt: row.claimedAt,
  details: row.details
})

/**
 * OTP sessions in SQLite. Every state change is one conditional statement (or one short transaction),
 * so concurrent requests for the same session cannot both pass a check: the row count decides.
 * Storage failures are defects, because the service cannot reply sensibly without its database.
 */
export class OtpSessions extends Effect.Service<OtpSessions>()("retailcrm-bot-auth/OtpSessions", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const insertPending = (
      session: Omit<OtpSession, "state" | "attempts" | "resends" | "sentAt" | "claimedAt" | "route">
    ) =>
      sql`INSERT INTO otp_sessions ${sql.insert({
        id: session.id,
        purpose: session.purpose,
        channelType: session.channelType,
        accountId: session.accountId,
        chatExternalId: session.chatExternalId,
        phone: session.phone,
        customerId: session.customerId,
        isFake: session.isFake ? 1 : 0,
        requestedRoute: session.requestedRoute,
        codeHash: session.code.hash,
        codeSalt: session.code.salt,
        hashIterations: session.code.iterations,
        state: "pending",
        createdAt: session.createdAt,
        expiresAt: session.expiresAt,
        details: session.details
      })}`.pipe(Effect.asVoid, Effect.orDie, Effect.withSpan("OtpSessions.insertPending"))

    const find = (id: string) =>
      sql`SELECT * FROM otp_sessions WHERE id = ${id}`.pipe(
        Effect.flatMap((rows) =>
          rows[0] === undefined
            ? Effect.succeed(Option.none())
            : Effect.map(decodeRow(rows[0]), (row) => Option.some(toSession(row)))
        ),
        Effect.orDie,
        Effect.withSpan("OtpSessions.find")
      )

    /**
     * Marks a pending session as sent through `route` and, in the same transaction, supersedes the
     * owner's other open sessions: only a code accepted for delivery replaces an earlier one.
     */
    const activate = (session: SessionOwner & { readonly id: string }, route: VerificationMethod, now: number) =>
      sql
        .withTransaction(
          Effect.gen(function* () {
            yield* sql`
              UPDATE otp_sessions SET state = 'superseded', closed_at = ${now}
              WHERE phone = ${session.phone} AND channel_type = ${session.channelType}
                AND account_id = ${session.accountId} AND purpose = ${session.purpose}
                AND state IN ('pending', 'active') AND id != ${session.id}`
            yield* sql`
              UPDATE otp_sessions SET state = 'active', route = ${route}, sent_at = ${now}
              WHERE id = ${session.id} AND state = 'pending'`
          })
        )
        .pipe(Effect.asVoid, Effect.orDie, Effect.withSpan("OtpSessions.activate"))

    const deletePending = (id: string) =>
      sql`DELETE FROM otp_sessions WHERE id = ${id} AND state = 'pending'`.pipe(Effect.asVoid, Effect.orDie)

    /** The owner's newest active session sent at or after `sentSince`: a double tap returns it. */
    const findRecentlySent = (owner: SessionOwner, sentSince: number) =>
      sql`
        SELECT * FROM otp_sessions
        WHERE phone = ${owner.phone} AND channel_type = ${owner.channelType}
          AND account_id = ${owner.accountId} AND purpose = ${owner.purpose}
          AND state = 'active' AND sent_at >= ${sentSince}
        ORDER BY sent_at DESC LIMIT 1`.pipe(
        Effect.flatMap((rows) =>
          rows[0] === undefined
            ? Effect.succeed(Option.none())
            : Effect.map(decodeRow(rows[0]), (row) => Option.some(toSession(row)))
        ),
        Effect.orDie
      )

    /**
     * Counts one check attempt before any comparison. Returns the new count with the code as it is at
     * that moment, or `None` when the session is no longer open or has expired in the meantime.
     */
    const countAttempt = (id: string, now: number) =>
      sql<{ attempts: number; codeHash: Uint8Array; codeSalt: Uint8Array; hashIterations: number; resends: number }>`
        UPDATE otp_sessions SET attempts = attempts + 1
        WHERE id = ${id} AND state IN ('active', 'claimed') AND expires_at > ${now}
        RETURNING attempts, code_hash, code_salt, hash_iterations, resends`.pipe(
        Effect.map((rows) =>
          Option.fromNullable(rows[0]).pipe(
            Option.map((row) => ({
              attempts: row.attempts,
              code: { hash: row.codeHash, salt: row.codeSalt, iterations: row.hashIterations },
              resends: row.resends
            }))
          )
        ),
        Effect.orDie
      )

    /**
     * Claims an active session for the one check that writes to the CRM. `false` when another check got
     * it first, or when a resend replaced the code after `resends` was read.
     */
    const claim = (id: string, resends: number, now: number) =>
      sql`
        UPDATE otp_sessions SET state = 'claimed', claimed_at = ${now}
        WHERE id = ${id} AND resends = ${resends}
          AND (state = 'active' OR (state = 'claimed' AND claimed_at < ${now - staleClaimMillis}))
        RETURNING id`.pipe(
        Effect.map((rows) => rows.length === 1),
        Effect.orDie
      )

    /** Opens a claimed session again after a technical failure, so the shopper can retry the same code. */
    const releaseClaim = (id: string) =>
      sql`UPDATE otp_sessions SET state = 'active', claimed_at = NULL WHERE id = ${id} AND state = 'claimed'`.pipe(
        Effect.asVoid,
        Effect.orDie
      )

    const close = (id: string, state: Extract<SessionState, "used" | "ended">, now: number) =>
      sql`UPDATE otp_sessions SET state = ${state}, closed_at = ${now} WHERE id = ${id} AND state = 'claimed'`.pipe(
        Effect.asVoid,
        Effect.orDie
      )

    /**
     * Replaces the code of an active session after a resend was accepted: the old code stops working,
     * the lifetime restarts, the attempt counter stays. `false` when the session closed meanwhile.
     */
    const replaceCode = (
      id: string,
      replacement: {
        readonly code: OtpSession["code"]
        readonly route: VerificationMethod
        readonly now: number
        readonly expiresAt: number
      }
    ) =>
      sql`
        UPDATE otp_sessions
        SET code_hash = ${replacement.code.hash}, code_salt = ${replacement.code.salt},
            hash_iterations = ${replacement.code.iterations}, route = ${replacement.route},
            sent_at = ${replacement.now}, expires_at = ${replacement.expiresAt}, resends = resends + 1
        WHERE id = ${id} AND state = 'active'
        RETURNING id`.pipe(
        Effect.map((rows) => rows.length === 1),
        Effect.orDie
      )

    const updateDetails = (id: string, details: string) =>
      sql`UPDATE otp_sessions SET details = ${details} WHERE id = ${id}`.pipe(Effect.asVoid, Effect.orDie)

    /** Deletes sessions closed or expired more than `olderThan` milliseconds before `now`. */
    const purge = (now: number, olderThan: number) =>
      sql`DELETE FROM otp_sessions WHERE expires_at < ${now - olderThan} AND state != 'claimed'`.pipe(
        Effect.asVoid,
        Effect.orDie
      )

    return {
      insertPending,
      find,
      activate,
      deletePending,
      findRecentlySent,
      countAttempt,
      claim,
      releaseClaim,
      close,
      replaceCode,
      updateDetails,
      purge
    } as const
  })
}) {}
