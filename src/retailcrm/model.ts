import { Schema } from "effect"

// Only the fields the service reads are decoded; RetailCRM sends many more, which are ignored.

/** RetailCRM ids are integers; the service carries them as strings, as its replies do. */
export const CrmId = Schema.Union(Schema.Int, Schema.NonEmptyString).pipe(
  Schema.transform(Schema.String, { strict: true, decode: (id) => String(id), encode: (id) => id })
)

/** RetailCRM sends an empty map as `[]` (seen for customFields, payments, errors), so both decode to a record. */
export const CrmMap = Schema.Union(
  Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  Schema.Array(Schema.Unknown)
).pipe(
  Schema.transform(Schema.Record({ key: Schema.String, value: Schema.Unknown }), {
    strict: true,
    decode: (value) => (Array.isArray(value) ? {} : (value as Record<string, unknown>)),
    encode: (value) => value
  })
)

const OptionalText = Schema.optional(Schema.NullOr(Schema.String))

export const Customer = Schema.Struct({
  id: CrmId,
  site: OptionalText,
  firstName: OptionalText,
  lastName: OptionalText,
  patronymic: OptionalText,
  email: OptionalText,
  phones: Schema.optionalWith(Schema.Array(Schema.Struct({ number: OptionalText })), { default: () => [] }),
  customFields: Schema.optionalWith(CrmMap, { default: () => ({}) })
})

export type Customer = typeof Customer.Type

export const Pagination = Schema.Struct({
  currentPage: Schema.Number,
  totalPageCount: Schema.Number
})

export const CustomerList = Schema.Struct({
  customers: Schema.Array(Customer),
  pagination: Schema.optional(Pagination)
})

export const CustomerReply = Schema.Struct({ customer: Customer })

export const IdReply = Schema.Struct({ id: CrmId })

/** The `success: false` envelope; `errors` may be an object keyed by field path or an array. */
export const ErrorEnvelope = Schema.Struct({
  errorMsg: Schema.optional(Schema.String),
  errors: Schema.optional(
    Schema.Union(Schema.Record({ key: Schema.String, value: Schema.Unknown }), Schema.Array(Schema.Unknown))
  )
})

/** Reads a custom field value as the string it holds; numbers count, other types do not. */
export const customFieldText = (customer: Customer, code: string): string | undefined => {
  const value = customer.customFields[code]
  if (typeof value === "string") return value
  if (typeof value === "number" || typeof value === "bigint") return String(value)
  return undefined
}
