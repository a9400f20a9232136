import { describe, expect, it } from "@effect/vitest"
import type { NormalizedPhone } from "../../src/domain/Phone.js"
import { hasAllowedPrefix, maskPhone, maskPhoneForLog, normalizePhone, phoneSearchKey } from "../../src/domain/Phone.js"

const normalized = (digits: string) => digits as NormalizedPhone

describe("normalizePhone", () => {
  const cases: ReadonlyArray<[string, string, string | undefined]> = [
    ["trunk 8 with spaces and dashes", "8 900 000-00-01", "79000000001"],
    ["trunk 8 without separators", "89000000001", "79000000001"],
    ["international +7", "+7 900 000 00 01", "79000000001"],
    ["bare 7 without plus", "79000000001", "79000000001"],
    ["ten digits starting with 9", "9000000001", "79000000001"],
    ["brackets around the operator code", "+7 (900) 000-00-01", "79000000001"],
    ["surrounding whitespace", "  +7 900 000-00-01  ", "79000000001"],
    ["+7 812 keeps its 8", "+7 812 000-00-01", "78120000001"],
    ["+84 stays a country code", "+84 90 000 0001", "84900000001"],
    ["+8 is not a trunk prefix", "+8 900 000-00-01", "89000000001"],
    ["8 812 with eleven digits", "8 812 000-00-01", "78120000001"],
    ["fifteen digits", "+123 4567 8901 2345", "123456789012345"],
    ["ten digits not starting with 9", "8120000001", undefined],
    ["too short", "+7 900 000", undefined],
    ["five digits", "12345", undefined],
    ["sixteen digits", "+1234 5678 9012 3456", undefined],
    ["letters only", "call me", undefined],
    ["letters hiding too few digits", "8 900 ABC-00-01", undefined],
    ["empty", "", undefined]
  ]

  for (const [name, input, expected] of cases) {
    it(name, () => {
      expect(normalizePhone(input)).toBe(expected)
    })
  }
})

describe("maskPhone", () => {
  it("masks a number with country code 7", () => {
    expect(maskPhone(normalized("79000000067"))).toBe("+7 900 ***-**-67")
  })

  it("masks a St Petersburg number", () => {
    expect(maskPhone(normalized("78120000001"))).toBe("+7 812 ***-**-01")
  })

  it("masks a non-7 number", () => {
    expect(maskPhone(normalized("84900000016"))).toBe("+849 ***-**-16")
  })

  it("masks a fifteen-digit number", () => {
    expect(maskPhone(normalized("123456789012345"))).toBe("+123 ***-**-45")
  })
})

describe("maskPhoneForLog", () => {
  it("masks a phone that normalizes", () => {
    expect(maskPhoneForLog("8 900 000-00-01")).toBe("+7 900 ***-**-01")
  })

  it("masks a non-7 phone", () => {
    expect(maskPhoneForLog("+84 90 000 0001")).toBe("+849 ***-**-01")
  })

  it("keeps two digits of a non-phone", () => {
    expect(maskPhoneForLog("12345")).toBe("***45")
  })

  it("hides a text of two digits or fewer", () => {
    expect(maskPhoneForLog("12")).toBe("***")
  })

  it("hides an empty text", () => {
    expect(maskPhoneForLog("")).toBe("***")
  })

  it("never shows a long digit run", () => {
    const masked = maskPhoneForLog("900000000123456789")

    expect(masked).toBe("***89")
  })
})

describe("phone helpers", () => {
  it("searches by the last ten digits", () => {
    expect(phoneSearchKey(normalized("79000000001"))).toBe("9000000001")
  })

  it("accepts an allowed prefix", () => {
    expect(hasAllowedPrefix(normalized("79000000001"), ["7"])).toBe(true)
  })

  it("rejects another prefix", () => {
    expect(hasAllowedPrefix(normalized("84900000001"), ["7", "375"])).toBe(false)
  })
})
