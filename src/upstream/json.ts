/** Parses an upstream reply body, or returns `undefined` when it is not JSON (an HTML error page, say). */
export const parseJsonOrUndefined = (body: string): unknown => {
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}
