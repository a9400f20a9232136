import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Customers already marked `chatbot_interacted` in RetailCRM. This is the service's own bookkeeping,
 * not a cache of CRM data: it only spares a CRM write for a customer that was marked before.
 */
export class ChatbotMarks extends Effect.Service<ChatbotMarks>()("retailcrm-bot-auth/ChatbotMarks", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const isMarked = (customerId: string) =>
      sql`SELECT 1 FROM chatbot_marks WHERE customer_id = ${customerId}`.pipe(
        Effect.map((rows) => rows.length > 0),
        Effect.orDie
      )

    const record = (customerId: string, now: number) =>
      sql`INSERT INTO chatbot_marks (customer_id, marked_at) VALUES (${customerId}, ${now}) ON CONFLICT DO NOTHING`.pipe(
        Effect.asVoid,
        Effect.orDie
      )

    return { isMarked, record } as const
  })
}) {}
