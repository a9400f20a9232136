import type { LogLevel } from "effect"
import { Cause, HashMap, Layer, Logger } from "effect"

const messageText = (message: unknown): string =>
  Array.isArray(message)
    ? message.map((part) => (typeof part === "string" ? part : JSON.stringify(part))).join(" ")
    : String(message)

/**
 * A logger writing one JSON object per line: time, level, message, then the log annotations as top-level
 * keys (undefined ones left out) and the cause when there is one. Callers annotate; they never pass
 * secrets, codes or full phone numbers.
 */
export const jsonLogger = (write: (line: string) => void) =>
  Logger.make(({ annotations, cause, date, logLevel, message }) => {
    const line: Record<string, unknown> = {
      time: date.toISOString(),
      level: logLevel.label.toLowerCase(),
      message: messageText(message)
    }
    for (const [key, value] of HashMap.toEntries(annotations)) {
      if (value !== undefined) line[key] = value
    }
    if (!Cause.isEmpty(cause)) line.cause = Cause.pretty(cause)
    write(JSON.stringify(line))
  })

/** Replaces the default logger with `jsonLogger` writing to `write` (stdout by default) at `level` and above. */
export const loggingLayer = (
  level: LogLevel.LogLevel,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)
) => Layer.merge(Logger.replace(Logger.defaultLogger, jsonLogger(write)), Logger.minimumLogLevel(level))
