import type { Reply } from "./http.js"
import { isPlainObject, jsonReply } from "./http.js"

export type ByIdentifier = "id" | "externalId"

export interface Paging {
  limit: number
  page: number
}

export interface InputErrors {
  errors: Record<string, string>
}

const allowedLimits = [20, 50, 100]
const dateTimePattern = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/
const datePattern = /^\d{4}-\d{2}-\d{2}$/

export function parsePaging(query: URLSearchParams): Paging | InputErrors {
  const errors: Record<string, string> = {}
  const limitText = query.get("limit")
  const limit = limitText === null ? 20 : Number(limitText)
  if (!allowedLimits.includes(limit)) {
    errors.limit = `The value "${limitText}" is not valid: use one of ${allowedLimits.join(", ")}.`
  }
  const pageText = query.get("page")
  const page = pageText === null ? 1 : Number(pageText)
  if (!Number.isInteger(page) || page < 1) {
    errors.page = `The value "${pageText}" is not valid: use a positive integer.`
  }
  return Object.keys(errors).length > 0 ? { errors } : { limit, page }
}

export function paginate<Item>(items: readonly Item[], paging: Paging, key: string): Record<string, unknown> {
  const start = (paging.page - 1) * paging.limit
  return {
    pagination: {
      limit: paging.limit,
      totalCount: items.length,
      currentPage: paging.page,
      // NOTE: guessed as 0 for an empty result; no public example shows an empty page.
      totalPageCount: Math.ceil(items.length / paging.limit)
    },
    [key]: items.slice(start, start + paging.limit)
  }
}

/**
 * Returns the name of an array filter key, `ids` for both `filter[ids][]` and the indexed
 * `filter[ids][0]` that PHP clients send, or undefined for any other key.
 */
export function arrayFilterName(key: string): string | undefined {
  return /^filter\[([^\]]+)\]\[\d*\]$/.exec(key)?.[1]
}

/**
 * Normalises a `filter[createdAtFrom]`-style bound to `Y-m-d H:i:s`. A bare date covers the
 * whole day: it starts at 00:00:00 as a lower bound and ends at 23:59:59 as an upper bound.
 * Returns undefined for any other format.
 */
export function parseDateTimeBound(value: string, bound: "from" | "to"): string | undefined {
  if (dateTimePattern.test(value)) return value
  if (datePattern.test(value)) return `${value} ${bound === "from" ? "00:00:00" : "23:59:59"}`
  return undefined
}

export function isDateTime(value: string): boolean {
  return dateTimePattern.test(value)
}

/** Formats a moment as RetailCRM's `Y-m-d H:i:s`, the wall-clock time in the given IANA time zone. */
export function formatDateTime(date: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit"
  }).formatToParts(date)
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((item) => item.type === type)?.value ?? "00"
  return `${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")}:${part("second")}`
}

export function parseBy(value: string | null): ByIdentifier | undefined {
  if (value === null || value === "") return "externalId"
  return value === "id" || value === "externalId" ? value : undefined
}

// NOTE: the errorMsg for an unsupported `by` is a guess.
export function badBy(): Reply {
  return crmError(400, "Errors in the input parameters", { by: 'Value must be "id" or "externalId".' })
}

/** Reads the JSON object carried in one form field, as RetailCRM POST methods expect. */
export function parseEntity(
  form: URLSearchParams,
  field: string
): { entity: Record<string, unknown> } | { reply: Reply } {
  const text = form.get(field)
  if (text === null || text === "") return { reply: crmError(400, `Parameter '${field}' is missing`) }
  let entity: unknown
  try {
    entity = JSON.parse(text)
  } catch {
    return { reply: crmError(400, "Errors in the entity format", { [field]: "The value is not valid JSON." }) }
  }
  if (!isPlainObject(entity)) {
    return { reply: crmError(400, "Errors in the entity format", { [field]: "The value must be a JSON object." }) }
  }
  if (entity.phones !== undefined && !Array.isArray(entity.phones)) {
    return {
      reply: crmError(400, "Errors in the entity format", { [`${field}[phones]`]: "The value must be a list." })
    }
  }
  return { entity }
}

/** Returns a string or a number as a string, and undefined for anything else. */
export function optionalString(value: unknown): string | undefined {
  if (typeof value === "string") return value
  if (typeof value === "number" && Number.isFinite(value)) return String(value)
  return undefined
}

export function crmError(status: number, errorMsg: string, errors?: Record<string, string>): Reply {
  return crmReply(status, errors === undefined ? { success: false, errorMsg } : { success: false, errorMsg, errors })
}

export function crmReply(status: number, value: unknown): Reply {
  return jsonReply(status, value, emptyMapAsArray)
}

// RetailCRM sends an empty map as `[]` (seen in real replies and handled by its official Go client).
function emptyMapAsArray(_key: string, value: unknown): unknown {
  return isPlainObject(value) && Object.keys(value).length === 0 ? [] : value
}
