import { createHmac, pbkdf2, randomBytes, randomInt, timingSafeEqual } from "node:crypto"
import { Effect, Option, Redacted } from "effect"

/** A one-time code: `length` decimal digits drawn uniformly from a cryptographic RNG. */
export const generateCode = (length: number): string =>
  randomInt(0, 10 ** length)
    .toString()
    .padStart(length, "0")

export interface CodeHash {
  readonly hash: Uint8Array
  readonly salt: Uint8Array
  readonly iterations: number
}

const keyLength = 32
const saltLength = 16

/** The PBKDF2 password: the code alone, or HMAC-SHA256(pepper, code) when a pepper is set. */
const password = (code: string, pepper: Option.Option<Redacted.Redacted>): Buffer =>
  Option.match(pepper, {
    onNone: () => Buffer.from(code, "utf8"),
    onSome: (secret) => createHmac("sha256", Redacted.value(secret)).update(code, "utf8").digest()
  })

// Node's async pbkdf2 runs on the libuv thread pool, off the event loop.
const derive = (code: string, salt: Uint8Array, iterations: number, pepper: Option.Option<Redacted.Redacted>) =>
  Effect.async<Buffer>((resume) => {
    pbkdf2(password(code, pepper), salt, iterations, keyLength, "sha256", (error, key) => {
      resume(error === null ? Effect.succeed(key) : Effect.die(error))
    })
  })

/** Hashes a code with PBKDF2-SHA256 and a fresh random salt. */
export const hashCode = (
  code: string,
  options: { readonly iterations: number; readonly pepper: Option.Option<Redacted.Redacted> }
): Effect.Effect<CodeHash> =>
  Effect.gen(function* () {
    const salt = randomBytes(saltLength)
    const hash = yield* derive(code, salt, options.iterations, options.pepper)
    return { hash, salt, iterations: options.iterations }
  })

/** Compares a submitted code with a stored hash in constant time. */
export const verifyCode = (
  code: string,
  stored: CodeHash,
  pepper: Option.Option<Redacted.Redacted>
): Effect.Effect<boolean> =>
  Effect.map(derive(code, stored.salt, stored.iterations, pepper), (candidate) => {
    const expected = Buffer.from(stored.hash)
    return candidate.length === expected.length && timingSafeEqual(candidate, expected)
  })
