import { describe, expect, it } from "@effect/vitest"
import { formatCrmDateTime, formatRussianDate, isoUtc, parseCrmDateTime } from "../../src/domain/Time.js"

const moscow = "Europe/Moscow"

describe("isoUtc", () => {
  it("drops the milliseconds", () => {
    expect(isoUtc(Date.UTC(2026, 5, 1, 10, 0, 0, 987))).toBe("2026-06-01T10:00:00Z")
  })

  it("formats the epoch", () => {
    expect(isoUtc(0)).toBe("1970-01-01T00:00:00Z")
  })
})

describe("formatCrmDateTime", () => {
  it("shows Moscow wall-clock time", () => {
    expect(formatCrmDateTime(Date.UTC(2026, 5, 1, 10, 0, 0), moscow)).toBe("2026-06-01 13:00:00")
  })

  it("rolls over to the next year", () => {
    expect(formatCrmDateTime(Date.UTC(2026, 11, 31, 22, 30, 5), moscow)).toBe("2027-01-01 01:30:05")
  })

  it("uses 00 for midnight", () => {
    expect(formatCrmDateTime(Date.UTC(2026, 0, 1, 21, 0, 0), moscow)).toBe("2026-01-02 00:00:00")
  })

  it("follows another zone", () => {
    expect(formatCrmDateTime(Date.UTC(2026, 5, 1, 10, 0, 0), "Asia/Vladivostok")).toBe("2026-06-01 20:00:00")
  })

  it("formats a Russian date", () => {
    expect(formatRussianDate(Date.UTC(2026, 11, 31, 22, 30, 0), moscow)).toBe("01.01.2027")
  })
})

describe("parseCrmDateTime", () => {
  it("reads Moscow wall-clock time", () => {
    expect(parseCrmDateTime("2026-06-01 13:00:00", moscow)).toBe(Date.UTC(2026, 5, 1, 10, 0, 0))
  })

  it("accepts a T separator", () => {
    expect(parseCrmDateTime("2026-06-01T13:00:00", moscow)).toBe(Date.UTC(2026, 5, 1, 10, 0, 0))
  })

  it("round-trips through the formatter", () => {
    const instants = [
      Date.UTC(2026, 0, 1, 0, 0, 0),
      Date.UTC(2026, 2, 29, 0, 59, 59),
      Date.UTC(2026, 5, 15, 12, 34, 56),
      Date.UTC(2026, 11, 31, 23, 59, 59)
    ]
    for (const instant of instants) {
      expect(parseCrmDateTime(formatCrmDateTime(instant, moscow), moscow)).toBe(instant)
    }
  })

  it("round-trips across a daylight-saving change", () => {
    // Europe/Berlin moves from UTC+1 to UTC+2 at 01:00 UTC on 29 March 2026.
    const zone = "Europe/Berlin"
    const before = Date.UTC(2026, 2, 29, 0, 30, 0)
    const after = Date.UTC(2026, 2, 29, 1, 30, 0)

    expect(parseCrmDateTime(formatCrmDateTime(before, zone), zone)).toBe(before)
    expect(parseCrmDateTime(formatCrmDateTime(after, zone), zone)).toBe(after)
  })

  it("rejects a date without time", () => {
    expect(parseCrmDateTime("2026-06-01", moscow)).toBeUndefined()
  })

  it("rejects text", () => {
    expect(parseCrmDateTime("yesterday", moscow)).toBeUndefined()
  })
})
