/**
 * Phone numbers, Russia first. A normalized phone is 11 to 15 digits with the country code and no `+`,
 * which is also the form GreenSMS expects in `to`.
 */
export type NormalizedPhone = string & { readonly NormalizedPhone: unique symbol }

/**
 * Normalizes a phone as typed by a shopper or stored in RetailCRM, or returns `undefined` when it is not
 * a phone. Only a leading trunk `8` is rewritten, and only when the input did not start with `+`:
 * `+7 812 …` keeps its `8`, and `+84 …` is a Vietnamese number.
 */
export const normalizePhone = (input: string): NormalizedPhone | undefined => {
  const trimmed = input.trim()
  const international = trimmed.startsWith("+")
  let digits = trimmed.replace(/\D/g, "")
  if (!international && digits.length === 11 && digits.startsWith("8")) {
    digits = `7${digits.slice(1)}`
  } else if (!international && digits.length === 10 && digits.startsWith("9")) {
    digits = `7${digits}`
  }
  return digits.length >= 11 && digits.length <= 15 ? (digits as NormalizedPhone) : undefined
}

/**
 * Masks a normalized phone for replies and logs: `+7 999 ***-**-67` for numbers with country code 7,
 * else `+` with the first three digits, then `***-**-` and the last two digits.
 */
export const maskPhone = (phone: NormalizedPhone): string =>
  phone.startsWith("7")
    ? `+7 ${phone.slice(1, 4)} ***-**-${phone.slice(-2)}`
    : `+${phone.slice(0, 3)} ***-**-${phone.slice(-2)}`

/** Masks any phone-like text for a log line, whether or not it normalizes. */
export const maskPhoneForLog = (input: string): string => {
  const phone = normalizePhone(input)
  if (phone !== undefined) return maskPhone(phone)
  const digits = input.replace(/\D/g, "")
  return digits.length <= 2 ? "***" : `***${digits.slice(-2)}`
}

/** The part of a phone that RetailCRM's `filter[name]` search is given: the last ten digits. */
export const phoneSearchKey = (phone: NormalizedPhone): string => phone.slice(-10)

export const hasAllowedPrefix = (phone: NormalizedPhone, prefixes: ReadonlyArray<string>): boolean =>
  prefixes.some((prefix) => phone.startsWith(prefix))
