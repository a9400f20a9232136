import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import { NodeContext } from "@effect/platform-node"
import { SqliteClient, SqliteMigrator } from "@effect/sql-sqlite-node"
import { Effect, Layer, String } from "effect"
import { AppConfig } from "../Config.js"
import { migrations } from "./migrations.js"

/**
 * The SQLite file holding OTP sessions and the service's own bookkeeping, migrated at start-up.
 * WAL is on (the client's default). The client serializes statements over one connection, so a
 * transaction blocks every other query of the process: keep transactions to a few statements.
 */
export const sqliteLayer = (filename: string) =>
  SqliteMigrator.layer({ loader: SqliteMigrator.fromRecord(migrations) }).pipe(
    Layer.provideMerge(
      Layer.unwrapEffect(
        Effect.sync(() => {
          if (filename !== ":memory:") mkdirSync(dirname(filename), { recursive: true })
          return SqliteClient.layer({
            filename,
            transformResultNames: String.snakeToCamel,
            transformQueryNames: String.camelToSnake
          })
        })
      )
    ),
    // The migrator shells out for schema dumps, so it needs the platform services even with a record loader.
    Layer.provide(NodeContext.layer)
  )

export const DatabaseLive = Layer.unwrapEffect(Effect.map(AppConfig, (config) => sqliteLayer(config.sqlitePath)))
