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

/** Reads `[]` as an empty object, for objects whose fields are all optional. */
const orEmptyArray = <A, I>(schema: Schema.Schema<A, I>) =>
  Schema.Union(schema, Schema.Array(Schema.Unknown)).pipe(
    Schema.transform(Schema.typeSchema(schema), {
      strict: false,
      decode: (value) => (Array.isArray(value) ? {} : value),
      encode: (value) => value
    })
  )

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

/** Reads a custom field value as a string; numbers are converted, other types read as absent. */
export const customFieldText = (customer: Customer, code: string): string | undefined => {
  const value = customer.customFields[code]
  if (typeof value === "string") return value
  if (typeof value === "number" || typeof value === "bigint") return String(value)
  return undefined
}

/** An order's offer reference; RetailCRM binds catalogue items by `id`, `externalId` or `xmlId`. */
export const OrderOffer = Schema.Struct({
  id: Schema.optional(Schema.NullOr(CrmId)),
  externalId: OptionalText,
  xmlId: OptionalText,
  name: OptionalText,
  displayName: OptionalText,
  article: OptionalText
})

export const OrderItem = Schema.Struct({
  quantity: Schema.optional(Schema.NullOr(Schema.Number)),
  productName: OptionalText,
  offer: Schema.optional(Schema.NullOr(orEmptyArray(OrderOffer)))
})

export type OrderItem = typeof OrderItem.Type

/** `[]` stands for an empty object here too, so every nested object decodes to a record. */
export const OrderDelivery = Schema.Struct({
  code: OptionalText,
  integrationCode: OptionalText,
  trackNumber: OptionalText,
  trackingNumber: OptionalText,
  address: Schema.optional(Schema.NullOr(CrmMap)),
  data: Schema.optional(Schema.NullOr(CrmMap))
})

export const Order = Schema.Struct({
  id: CrmId,
  number: OptionalText,
  createdAt: OptionalText,
  status: OptionalText,
  site: OptionalText,
  firstName: OptionalText,
  lastName: OptionalText,
  phone: OptionalText,
  email: OptionalText,
  customerComment: OptionalText,
  customer: Schema.optional(Schema.NullOr(Schema.Struct({ id: Schema.optional(Schema.NullOr(CrmId)) }))),
  items: Schema.optionalWith(Schema.NullOr(Schema.Array(OrderItem)), { default: () => [] }),
  delivery: Schema.optional(Schema.NullOr(orEmptyArray(OrderDelivery)))
})

export type Order = typeof Order.Type

export const OrderList = Schema.Struct({
  orders: Schema.Array(Order),
  pagination: Schema.optional(Pagination)
})

export const OrderReply = Schema.Struct({ order: Order })

export const CreatedOrder = Schema.Struct({
  id: CrmId,
  order: Schema.optional(Schema.Struct({ number: OptionalText }))
})

const ReferenceEntry = Schema.Struct({
  code: Schema.String,
  name: OptionalText,
  group: OptionalText
})

/** `reference/statuses` and `reference/status-groups` send maps keyed by code (`[]` when empty). */
export const StatusesReply = Schema.Struct({
  statuses: Schema.Union(Schema.Record({ key: Schema.String, value: ReferenceEntry }), Schema.Array(Schema.Unknown))
})

export const StatusGroupsReply = Schema.Struct({
  statusGroups: Schema.Union(Schema.Record({ key: Schema.String, value: ReferenceEntry }), Schema.Array(Schema.Unknown))
})

export type ReferenceEntry = typeof ReferenceEntry.Type

export const ProductOffer = Schema.Struct({
  id: CrmId,
  article: OptionalText,
  name: OptionalText,
  active: Schema.optional(Schema.NullOr(Schema.Boolean))
})

export const Product = Schema.Struct({
  id: CrmId,
  article: OptionalText,
  name: OptionalText,
  active: Schema.optional(Schema.NullOr(Schema.Boolean)),
  offers: Schema.optionalWith(Schema.NullOr(Schema.Array(ProductOffer)), { default: () => [] })
})

export type Product = typeof Product.Type

export const ProductList = Schema.Struct({
  products: Schema.Array(Product),
  pagination: Schema.optional(Pagination)
})

export const CreatedCustomer = Schema.Struct({ id: CrmId })
