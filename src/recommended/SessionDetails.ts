import { Either, Schema } from "effect"

/**
 * Data a recommended-order session keeps beside the code: the set and the recipient from the start, then
 * each finished stage, so that a replayed check resumes where the last one stopped.
 */
export const SessionDetails = Schema.Struct({
  offerCode: Schema.String,
  recipient: Schema.Struct({
    firstName: Schema.optional(Schema.String),
    lastName: Schema.optional(Schema.String),
    email: Schema.optional(Schema.String)
  }),
  /** Set once the customer was bound or created. */
  customerId: Schema.optional(Schema.String),
  /** Set once the order exists. */
  order: Schema.optional(Schema.Struct({ id: Schema.String, number: Schema.String }))
})

export type SessionDetails = typeof SessionDetails.Type

const parse = Schema.decodeUnknownEither(Schema.parseJson(SessionDetails))

/** Reads a session's details; `undefined` when the session has none or they do not parse. */
export const readDetails = (details: string | null): SessionDetails | undefined => {
  if (details === null) return undefined
  const parsed = parse(details)
  return Either.isRight(parsed) ? parsed.right : undefined
}

export const writeDetails = (details: SessionDetails): string => JSON.stringify(details)
