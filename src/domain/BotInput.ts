import { Effect, Option } from "effect"
import { BotError } from "./BotError.js"

/** Unsubstituted template variables that bot builders send when a variable is unset. */
const placeholder = /^[#$]?(?:\{\{[^{}]+\}\}|\{[^{}]+\})$/

/**
 * The fields of one bot request, merged from the query string and the body (the body wins), each a
 * trimmed string. Empty strings and template placeholders are absent. A field that arrived as a JSON
 * object or array is kept apart: reading it fails with `invalid_request`, ignoring it costs nothing.
 */
export class BotInput {
  private constructor(
    private readonly values: ReadonlyMap<string, string>,
    private readonly nonScalar: ReadonlySet<string>
  ) {}

  static readonly empty = new BotInput(new Map(), new Set())

  /** Builds the input from raw fields; `undefined` stands for a JSON object or array. */
  static fromRaw(entries: Iterable<readonly [string, string | undefined]>): BotInput {
    const values = new Map<string, string>()
    const nonScalar = new Set<string>()
    for (const [name, raw] of entries) {
      if (values.has(name) || nonScalar.has(name)) continue
      if (raw === undefined) {
        nonScalar.add(name)
        continue
      }
      const value = raw.trim()
      if (value !== "" && !placeholder.test(value)) values.set(name, value)
    }
    return new BotInput(values, nonScalar)
  }

  /** Fields of `this` win over fields of `fallback`, as a body wins over the query string. */
  withFallback(fallback: BotInput): BotInput {
    const values = new Map(fallback.values)
    const nonScalar = new Set(fallback.nonScalar)
    for (const name of this.nonScalar) {
      values.delete(name)
      nonScalar.add(name)
    }
    for (const [name, value] of this.values) {
      nonScalar.delete(name)
      values.set(name, value)
    }
    return new BotInput(values, nonScalar)
  }

  /** Reads a field, failing with `invalid_request` when it is not a scalar. */
  text(name: string): Effect.Effect<Option.Option<string>, BotError> {
    return this.nonScalar.has(name)
      ? Effect.fail(new BotError({ code: "invalid_request" }))
      : Effect.succeed(Option.fromNullable(this.values.get(name)))
  }

  /** Reads a field that must be present, failing with `invalid_request` otherwise. */
  requiredText(name: string): Effect.Effect<string, BotError> {
    return Effect.flatMap(
      this.text(name),
      Option.match({
        onNone: () => Effect.fail(new BotError({ code: "invalid_request" })),
        onSome: Effect.succeed
      })
    )
  }
}
