import type { HttpClientError } from "@effect/platform"

export type TransportFailure = "connection_refused" | "connection_reset" | "transport"

const errorCodes = (error: unknown, depth = 0): Array<string> => {
  if (depth > 5 || typeof error !== "object" || error === null) return []
  const record = error as { code?: unknown; cause?: unknown; errors?: unknown }
  const own = typeof record.code === "string" ? [record.code] : []
  const nested = Array.isArray(record.errors) ? record.errors.flatMap((inner) => errorCodes(inner, depth + 1)) : []
  return [...own, ...nested, ...errorCodes(record.cause, depth + 1)]
}

/**
 * Tells a refused connection (nothing reached the upstream, so a retry is safe even for a write) from a
 * reset or another transport failure (the request may have been processed).
 */
export const classifyTransport = (error: HttpClientError.RequestError): TransportFailure => {
  const codes = errorCodes(error.cause)
  if (codes.includes("ECONNREFUSED")) return "connection_refused"
  if (codes.some((code) => code === "ECONNRESET" || code === "UND_ERR_SOCKET" || code === "EPIPE")) {
    return "connection_reset"
  }
  return "transport"
}
