import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { generateCode, hashCode, verifyCode } from "../../src/otp/OtpCode.js"

const noPepper = Option.none<Redacted.Redacted>()
const pepper = Option.some(Redacted.make("test-pepper"))
const fast = { iterations: 1000, pepper: noPepper }

describe("generateCode", () => {
  for (const length of [4, 6, 8]) {
    it(`draws ${length} digits`, () => {
      for (let draw = 0; draw < 500; draw++) {
        expect(generateCode(length)).toMatch(new RegExp(`^\\d{${length}}$`))
      }
    })
  }

  it("produces leading zeros", () => {
    const codes = Array.from({ length: 2000 }, () => generateCode(6))

    // About one code in ten starts with 0; 2000 draws without one has a chance of about 1e-92.
    expect(codes.some((code) => code.startsWith("0"))).toBe(true)
  })

  it("spreads digits evenly per position", () => {
    const length = 6
    const draws = 20_000
    const counts = Array.from({ length }, () => Array<number>(10).fill(0))
    for (let draw = 0; draw < draws; draw++) {
      const code = generateCode(length)
      for (let position = 0; position < length; position++) {
        const row = counts[position] as Array<number>
        const digit = Number(code[position])
        row[digit] = (row[digit] ?? 0) + 1
      }
    }

    // Each count is binomial with mean 2000 and standard deviation about 42; 1700..2300 is about 7 sigma.
    for (const row of counts) {
      expect(Math.min(...row)).toBeGreaterThan(1700)
      expect(Math.max(...row)).toBeLessThan(2300)
    }
  })
})

describe("hashCode", () => {
  it.effect("verifies the right code", () =>
    Effect.gen(function* () {
      const stored = yield* hashCode("123456", fast)

      expect(yield* verifyCode("123456", stored, noPepper)).toBe(true)
    })
  )

  it.effect("rejects a wrong code", () =>
    Effect.gen(function* () {
      const stored = yield* hashCode("123456", fast)

      expect(yield* verifyCode("123457", stored, noPepper)).toBe(false)
    })
  )

  it.effect("rejects a longer code", () =>
    Effect.gen(function* () {
      const stored = yield* hashCode("123456", fast)

      expect(yield* verifyCode("1234560", stored, noPepper)).toBe(false)
    })
  )

  it.effect("never stores the code", () =>
    Effect.gen(function* () {
      const stored = yield* hashCode("123456", fast)

      expect(Buffer.from(stored.hash).toString("utf8")).not.toContain("123456")
      expect(Buffer.from(stored.hash).toString("hex")).not.toContain("123456")
    })
  )

  it.effect("uses a fresh salt per hash", () =>
    Effect.gen(function* () {
      const first = yield* hashCode("123456", fast)
      const second = yield* hashCode("123456", fast)

      expect(Buffer.from(first.salt).equals(Buffer.from(second.salt))).toBe(false)
      expect(Buffer.from(first.hash).equals(Buffer.from(second.hash))).toBe(false)
    })
  )

  it.effect("records the iteration count", () =>
    Effect.gen(function* () {
      const stored = yield* hashCode("123456", fast)

      expect(stored.iterations).toBe(1000)
    })
  )

  it.effect("mixes in the pepper", () =>
    Effect.gen(function* () {
      const peppered = yield* hashCode("123456", { iterations: 1000, pepper })

      expect(yield* verifyCode("123456", peppered, pepper)).toBe(true)
      expect(yield* verifyCode("123456", peppered, noPepper)).toBe(false)
      expect(yield* verifyCode("123456", peppered, Option.some(Redacted.make("other-pepper")))).toBe(false)
    })
  )

  it.effect("needs the pepper of a plain hash", () =>
    Effect.gen(function* () {
      const plain = yield* hashCode("123456", fast)

      expect(yield* verifyCode("123456", plain, pepper)).toBe(false)
    })
  )

  it.effect("works at 100000 iterations", () =>
    Effect.gen(function* () {
      const stored = yield* hashCode("654321", { iterations: 100_000, pepper })

      expect(stored.iterations).toBe(100_000)
      expect(stored.hash).toHaveLength(32)
      expect(yield* verifyCode("654321", stored, pepper)).toBe(true)
      expect(yield* verifyCode("654322", stored, pepper)).toBe(false)
    })
  )
})
