// Deliberately loose: one @, no spaces, a dot in the domain. RetailCRM rejects what it cannot take anyway.
const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/** Returns the trimmed email when it looks valid, else `undefined`, so an invalid email counts as absent. */
export const validEmail = (value: string | null | undefined): string | undefined => {
  const trimmed = value?.trim() ?? ""
  return emailPattern.test(trimmed) ? trimmed : undefined
}
