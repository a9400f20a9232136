import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

// Times are unix epoch milliseconds. Never renumber or edit a migration that has shipped: the migrator
// silently skips any id at or below the latest applied one.

const createOtpTables = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE otp_sessions (
      id TEXT PRIMARY KEY,
      purpose TEXT NOT NULL,
      channel_type TEXT NOT NULL,
      account_id TEXT NOT NULL,
      chat_external_id TEXT,
      phone TEXT NOT NULL,
      customer_id TEXT,
      is_fake INTEGER NOT NULL DEFAULT 0,
      requested_route TEXT NOT NULL,
      route TEXT,
      code_hash BLOB NOT NULL,
      code_salt BLOB NOT NULL,
      hash_iterations INTEGER NOT NULL,
      state TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      resends INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      sent_at INTEGER,
      expires_at INTEGER NOT NULL,
      claimed_at INTEGER,
      closed_at INTEGER,
      details TEXT
    )`
  yield* sql`CREATE INDEX otp_sessions_owner ON otp_sessions (phone, channel_type, account_id, purpose, state)`
  yield* sql`
    CREATE TABLE otp_sends (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      session_id TEXT NOT NULL,
      phone TEXT NOT NULL,
      channel_type TEXT NOT NULL,
      account_id TEXT NOT NULL,
      sent_at INTEGER NOT NULL
    )`
  yield* sql`CREATE INDEX otp_sends_phone ON otp_sends (phone, sent_at)`
  yield* sql`CREATE INDEX otp_sends_account ON otp_sends (channel_type, account_id, sent_at)`
  yield* sql`CREATE INDEX otp_sends_time ON otp_sends (sent_at)`
  yield* sql`
    CREATE TABLE chatbot_marks (
      customer_id TEXT PRIMARY KEY,
      marked_at INTEGER NOT NULL
    )`
})

const createOrderLedger = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE order_ledger (
      kind TEXT NOT NULL,
      customer_id TEXT NOT NULL,
      subject TEXT NOT NULL,
      order_id TEXT NOT NULL,
      order_number TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (kind, customer_id, subject)
    )`
})

export const migrations = {
  "0001_otp_sessions": createOtpTables,
  "0002_order_ledger": createOrderLedger
}
