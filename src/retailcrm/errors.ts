import { Data } from "effect"

/** RetailCRM has no entity with that id (HTTP 404 `Not found`). */
export class CrmNotFound extends Data.TaggedError("CrmNotFound")<{
  readonly operation: string
}> {}

/** One entry of a rejection's `errors`, which RetailCRM sends as an object keyed by field path or as an array. */
export interface CrmFieldError {
  readonly key: string
  readonly message: string
}

/** RetailCRM refused the request as invalid (a 4xx other than 404 and 429, with `success: false`). */
export class CrmRejected extends Data.TaggedError("CrmRejected")<{
  readonly operation: string
  readonly status: number
  readonly errorMsg: string
  readonly errors: ReadonlyArray<CrmFieldError>
}> {}

/** RetailCRM throttled the request: 503 is its documented signal, some clients also see 429. Nothing was done. */
export class CrmRateLimited extends Data.TaggedError("CrmRateLimited")<{
  readonly operation: string
  readonly status: number
}> {}

/** No reply within the call's timeout. The request may or may not have been processed. */
export class CrmTimeout extends Data.TaggedError("CrmTimeout")<{
  readonly operation: string
}> {}

/**
 * Any other failure: the connection was refused (nothing reached RetailCRM), reset or lost (the request
 * may have been processed), a 5xx other than 503, or a reply that is not the expected JSON.
 */
export class CrmUnavailable extends Data.TaggedError("CrmUnavailable")<{
  readonly operation: string
  readonly reason: "connection_refused" | "connection_reset" | "transport" | "server_error" | "bad_response"
  readonly status?: number | undefined
  readonly detail: string
}> {}

export type CrmError = CrmNotFound | CrmRejected | CrmRateLimited | CrmTimeout | CrmUnavailable

/** Failures after which a read may be repeated. */
export const isTransient = (error: CrmError): boolean =>
  error._tag === "CrmRateLimited" || error._tag === "CrmTimeout" || error._tag === "CrmUnavailable"

/** Failures after which a write certainly did not happen, so it may be sent once more. */
export const isNotProcessed = (error: CrmError): boolean =>
  error._tag === "CrmRateLimited" || (error._tag === "CrmUnavailable" && error.reason === "connection_refused")

const crmErrorTags: ReadonlySet<string> = new Set([
  "CrmNotFound",
  "CrmRejected",
  "CrmRateLimited",
  "CrmTimeout",
  "CrmUnavailable"
])

export const isCrmError = (error: { readonly _tag: string }): error is CrmError => crmErrorTags.has(error._tag)
