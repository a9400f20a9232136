import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export type Fields = Readonly<Record<string, string | number | boolean | undefined>>

export type Encoding = "json" | "form"

export const encodings: ReadonlyArray<Encoding> = ["json", "form"]

/** A reply body as JSON, with the HTTP status beside it. */
export interface BotReply {
  readonly httpStatus: number
  readonly body: Record<string, unknown>
}

const defined = (fields: Fields) =>
  Object.entries(fields).filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)

/** POSTs `fields` as JSON (numbers and booleans stay JSON values) or as an urlencoded form. */
export const post = async (
  baseUrl: string,
  path: string,
  fields: Fields,
  encoding: Encoding = "form"
): Promise<BotReply> => {
  const init: RequestInit =
    encoding === "json"
      ? {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(Object.fromEntries(defined(fields)))
        }
      : {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams(
            defined(fields).map(([name, value]): [string, string] => [name, String(value)])
          ).toString()
        }
  const response = await fetch(`${baseUrl}${path}`, init)
  return { httpStatus: response.status, body: (await response.json()) as Record<string, unknown> }
}

export const get = async (baseUrl: string, path: string, fields: Fields): Promise<BotReply> => {
  const query = new URLSearchParams(
    defined(fields).map(([name, value]): [string, string] => [name, String(value)])
  ).toString()
  const response = await fetch(`${baseUrl}${path}?${query}`)
  return { httpStatus: response.status, body: (await response.json()) as Record<string, unknown> }
}

/** A fresh folder for a test's SQLite file. */
export const tempDatabase = (): string => join(mkdtempSync(join(tmpdir(), "bot-auth-test-")), "auth.db")

export const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))

/** Field names of each reply, in the contract's order; a reply must have exactly these. */
export const replyFields = {
  status: ["status", "customerId", "maskedPhone", "errorCode", "message"],
  start: ["status", "sessionId", "maskedPhone", "retryAfterSec", "errorCode", "message"],
  check: ["status", "authorized", "customerId", "verifiedUntil", "maskedPhone", "errorCode", "message"],
  resend: ["status", "retryAfterSec", "maskedPhone", "errorCode", "message"],
  unlink: ["status", "customerId", "channelType", "text", "errorCode", "message"]
} as const
