import { SqlClient } from "@effect/sql"
import { Effect, Option } from "effect"

/** Origin of a bot-created order: a repeat of a source order, or a recommended set. */
export type LedgerKind = "repeat" | "recommended"

export interface LedgerEntry {
  readonly orderId: string
  readonly orderNumber: string
  readonly createdAt: number
}

/**
 * Orders the bot created, by customer and subject (the source order id, or the offer code). A second
 * request for the same subject within the dedup window returns the recorded order instead of a new one.
 * It keeps only the latest order per subject.
 */
export class OrderLedger extends Effect.Service<OrderLedger>()("retailcrm-bot-auth/OrderLedger", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    /** The subject's latest order created at or after `since` (unix milliseconds). */
    const findSince = (kind: LedgerKind, customerId: string, subject: string, since: number) =>
      sql<{ orderId: string; orderNumber: string; createdAt: number }>`
        SELECT order_id, order_number, created_at FROM order_ledger
        WHERE kind = ${kind} AND customer_id = ${customerId} AND subject = ${subject} AND created_at >= ${since}`.pipe(
        Effect.map((rows) => Option.fromNullable(rows[0] as LedgerEntry | undefined)),
        Effect.orDie
      )

    const record = (kind: LedgerKind, customerId: string, subject: string, entry: LedgerEntry) =>
      sql`
        INSERT INTO order_ledger (kind, customer_id, subject, order_id, order_number, created_at)
        VALUES (${kind}, ${customerId}, ${subject}, ${entry.orderId}, ${entry.orderNumber}, ${entry.createdAt})
        ON CONFLICT (kind, customer_id, subject) DO UPDATE SET
          order_id = excluded.order_id, order_number = excluded.order_number, created_at = excluded.created_at`.pipe(
        Effect.asVoid,
        Effect.orDie
      )

    return { findSince, record } as const
  })
}) {}
