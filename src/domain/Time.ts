/** ISO 8601 UTC without milliseconds, as every time in a reply: `2026-06-01T10:00:00Z`. */
export const isoUtc = (millis: number): string => `${new Date(millis).toISOString().slice(0, 19)}Z`

const formatters = new Map<string, Intl.DateTimeFormat>()

const formatterFor = (timeZone: string): Intl.DateTimeFormat => {
  let formatter = formatters.get(timeZone)
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit"
    })
    formatters.set(timeZone, formatter)
  }
  return formatter
}

interface WallClock {
  readonly year: number
  readonly month: number
  readonly day: number
  readonly hour: number
  readonly minute: number
  readonly second: number
}

const wallClock = (millis: number, timeZone: string): WallClock => {
  const parts = Object.fromEntries(
    formatterFor(timeZone)
      .formatToParts(new Date(millis))
      .map((p) => [p.type, p.value])
  )
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second)
  }
}

const pad = (value: number, width = 2) => String(value).padStart(width, "0")

/** RetailCRM's date-time format, `Y-m-d H:i:s`, as the wall clock of `timeZone` shows it. */
export const formatCrmDateTime = (millis: number, timeZone: string): string => {
  const t = wallClock(millis, timeZone)
  return `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)} ${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`
}

/** `dd.mm.yyyy` as the wall clock of `timeZone` shows it. */
export const formatRussianDate = (millis: number, timeZone: string): string => {
  const t = wallClock(millis, timeZone)
  return `${pad(t.day)}.${pad(t.month)}.${pad(t.year, 4)}`
}

/**
 * Reads a RetailCRM `Y-m-d H:i:s` wall-clock time of `timeZone` as unix milliseconds, or `undefined`
 * when the text is not in that format. The zone offset is found by comparing the wall clock with UTC.
 */
export const parseCrmDateTime = (text: string, timeZone: string): number | undefined => {
  const match = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(text.trim())
  if (match === null) return undefined
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number
  ]
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second)
  if (Number.isNaN(asUtc)) return undefined
  // Two passes settle the offset also next to a daylight-saving change.
  let guess = asUtc
  for (let pass = 0; pass < 2; pass++) {
    const displayed = wallClock(guess, timeZone)
    const displayedAsUtc = Date.UTC(
      displayed.year,
      displayed.month - 1,
      displayed.day,
      displayed.hour,
      displayed.minute,
      displayed.second
    )
    guess += asUtc - displayedAsUtc
  }
  return guess
}
