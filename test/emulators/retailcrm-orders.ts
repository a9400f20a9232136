import type { RecordedRequest, Reply } from "./http.js"
import { isPlainObject } from "./http.js"
import type { Customer, CustomerInput } from "./retailcrm.js"
import type { Catalogue, Offer, OfferReference } from "./retailcrm-catalogue.js"
import type { StatusBook } from "./retailcrm-reference.js"
import type { ByIdentifier, InputErrors } from "./retailcrm-wire.js"
import {
  arrayFilterName,
  badBy,
  crmError,
  crmReply,
  isDateTime,
  optionalString,
  paginate,
  parseBy,
  parseDateTimeBound,
  parseEntity,
  parsePaging
} from "./retailcrm-wire.js"

/** Snapshot of the catalogue offer that an order item was made from. */
export interface OrderOffer {
  id: number
  externalId?: string
  xmlId?: string
  name?: string
  displayName?: string
  article?: string
}

export interface OrderItemPrice {
  price: number
  quantity: number
}

export interface OrderItem {
  id: number
  quantity: number
  /** Name of a line that has no catalogue offer. */
  productName?: string
  initialPrice: number
  prices: OrderItemPrice[]
  offer?: OrderOffer
}

export interface DeliveryAddress {
  index?: string
  countryIso?: string
  region?: string
  city?: string
  street?: string
  building?: string
  flat?: string
  /** The whole address as one line. */
  text?: string
  notes?: string
  [field: string]: unknown
}

export interface DeliveryService {
  name?: string
  code?: string
  active?: boolean
}

export interface OrderDelivery {
  /** Delivery type code. */
  code?: string
  integrationCode?: string
  trackNumber?: string
  trackingNumber?: string
  cost?: number
  netCost?: number
  /** An empty object or `[]` is sent as `[]`. */
  address?: DeliveryAddress | []
  /** Data of the delivery service, such as `trackNumber`. An empty object or `[]` is sent as `[]`. */
  data?: Record<string, unknown> | []
  service?: DeliveryService
}

export interface OrderCustomerReference {
  type: "customer"
  id: number
}

/** An order in RetailCRM's v5 shape, reduced to the fields the service reads or writes. */
export interface Order {
  id: number
  number: string
  externalId?: string
  /** `Y-m-d H:i:s` in the emulator's time zone. */
  createdAt: string
  /** Status code. */
  status: string
  site: string
  orderType?: string
  orderMethod?: string
  firstName?: string
  lastName?: string
  patronymic?: string
  phone?: string
  email?: string
  /** The whole stored customer, or only a reference when the emulator has no customer with that id. */
  customer: Customer | OrderCustomerReference
  managerId?: number
  customerComment?: string
  managerComment?: string
  items: OrderItem[]
  /** An empty object or `[]` is sent as `[]`. */
  delivery: OrderDelivery | []
  /** Keyed by payment id. An empty map is sent as `[]`. */
  payments: Record<string, unknown>
  /** Keyed by field code. An empty map is sent as `[]`. */
  customFields: Record<string, unknown>
  /** True for orders created through `POST /api/v5/orders/create`. */
  fromApi: boolean
}

export interface OrderItemInput {
  id?: number
  /** Default 1. */
  quantity?: number
  productName?: string
  /** Defaults to the catalogue price of the offer, else 0. */
  initialPrice?: number
  /** Defaults to one entry with `initialPrice` and `quantity`. */
  prices?: OrderItemPrice[]
  /** An `id` of a catalogue offer fills the fields not given here from the catalogue. */
  offer?: OrderOffer
}

export interface OrderInput extends Partial<Omit<Order, "id" | "customer" | "items">> {
  id?: number
  /** The customer need not exist in the emulator. Its name, first phone and email are the order's defaults. */
  customer: { id: number }
  items?: OrderItemInput[]
}

/**
 * Order of `GET /api/v5/orders` results: by `createdAt` then `id`, descending (`newest`) or
 * ascending (`oldest`), or the order in which the emulator stored them (`insertion`).
 */
export type OrderListSort = "newest" | "oldest" | "insertion"

/** What the order book needs from the rest of the emulated account. */
export interface OrderBookContext {
  readonly defaultSite: string
  readonly catalogue: Catalogue
  readonly statuses: StatusBook
  /** Current time as `Y-m-d H:i:s` in the emulator's time zone. */
  now(): string
  /** Returns a copy of the stored customer, or undefined. */
  customer(id: number): Customer | undefined
  findCustomer(identifier: string, by: ByIdentifier, site: string | null): Customer | undefined
  addCustomer(input: CustomerInput): Customer
}

type StoredOrder = Omit<Order, "customer"> & { customer: OrderCustomerReference }

interface OrderFilter {
  matches: (order: StoredOrder) => boolean
}

/** Orders of the emulated account. Order ids start at 5001, item ids at 7001 and payment ids at 8001. */
export class OrderBook {
  readonly #context: OrderBookContext
  readonly #orders = new Map<number, StoredOrder>()
  readonly #createdIds: number[] = []
  #nextOrderId = 5001
  #nextItemId = 7001
  #nextPaymentId = 8001

  constructor(context: OrderBookContext) {
    this.#context = context
  }

  /** Stores an order and returns it as the API sends it. */
  add(input: OrderInput): Order {
    const id = input.id ?? this.#nextOrderId
    if (this.#orders.has(id)) throw new Error(`Order ${id} already exists in the emulator: pass another id or none.`)
    this.#nextOrderId = Math.max(this.#nextOrderId, id + 1)

    const { customer: customerReference, items: itemInputs, ...fields } = input
    const order: StoredOrder = {
      number: `${id}C`,
      createdAt: this.#context.now(),
      status: "new",
      site: this.#context.defaultSite,
      ...contactOf(this.#context.customer(customerReference.id)),
      delivery: { cost: 0, netCost: 0 },
      payments: {},
      fromApi: false,
      ...fields,
      id,
      customer: { type: "customer", id: customerReference.id },
      items: (itemInputs ?? []).map((item) => this.#buildItem(item)),
      customFields: { ...fields.customFields }
    }
    this.#orders.set(id, order)
    return this.#present(order)
  }

  get(id: number): Order | undefined {
    const order = this.#orders.get(id)
    return order === undefined ? undefined : this.#present(order)
  }

  /** Returns all orders in id order. */
  all(): Order[] {
    return this.#sorted().map((order) => this.#present(order))
  }

  /** Returns the orders created through `POST /api/v5/orders/create`, oldest first. */
  created(): Order[] {
    return this.#createdIds.flatMap((id) => {
      const order = this.#orders.get(id)
      return order === undefined ? [] : [this.#present(order)]
    })
  }

  /** Serves `GET /api/v5/orders`. */
  list(request: RecordedRequest, sort: OrderListSort): Reply {
    const paging = parsePaging(request.query)
    if ("errors" in paging) return crmError(400, "Errors in the input parameters", paging.errors)
    const filter = parseOrderFilter(request.query, (id) => this.#context.customer(id))
    if ("errors" in filter) return crmError(400, "Errors in the input parameters", filter.errors)

    const matching = sortOrders([...this.#orders.values()], sort).filter((order) => filter.matches(order))
    const presented = matching.map((order) => this.#present(order))
    return crmReply(200, { success: true, ...paginate(presented, paging, "orders") })
  }

  /** Serves `GET /api/v5/orders/{identifier}`, where `by` defaults to `externalId` as in RetailCRM. */
  getReply(request: RecordedRequest, identifier: string): Reply {
    const by = parseBy(request.query.get("by"))
    if (by === undefined) return badBy()
    const order = this.#find(identifier, by, request.query.get("site"))
    if (order === undefined) return crmError(404, "Not found")
    return crmReply(200, { success: true, order: this.#present(order) })
  }

  /**
   * Serves `POST /api/v5/orders/create`. Every rejection of the order's content is a 400
   * "Order is not loaded" with one `errors` entry per problem found.
   */
  create(request: RecordedRequest): Reply {
    const form = request.form ?? new URLSearchParams()
    const payload = parseEntity(form, "order")
    if ("reply" in payload) return payload.reply
    const entity = payload.entity
    const site = form.get("site") ?? optionalString(entity.site) ?? this.#context.defaultSite

    const externalId = optionalString(entity.externalId)
    if (externalId !== undefined && this.#find(externalId, "externalId", site) !== undefined) {
      // The text is RetailCRM's. NOTE: the status code is a guess.
      return crmError(400, "Order already exists.")
    }

    const errors: Record<string, string> = {}
    const customerId = this.#resolveCustomerId(entity.customer, site, errors)
    const number = optionalString(entity.number)
    if (number !== undefined && this.#sorted().some((order) => order.site === site && order.number === number)) {
      // NOTE: guess. RetailCRM's reply to a duplicate number is unknown, and it may accept duplicates.
      errors.number = `Order with number ${number} already exists.`
    }
    const status = optionalString(entity.status) ?? "new"
    if (!this.#context.statuses.has(status)) errors.status = `"Status" with "code"="${status}" does not exist.`
    const createdAt = optionalString(entity.createdAt)
    if (createdAt !== undefined && !isDateTime(createdAt)) {
      errors.createdAt = `The value "${createdAt}" is not valid: use Y-m-d H:i:s.`
    }
    const items = this.#resolveItems(entity.items, errors)
    if (Object.keys(errors).length > 0) return crmError(400, "Order is not loaded", errors)

    const id = this.#nextOrderId
    const contact = contactFields(entity)
    const order = this.add({
      ...contact,
      ...definedOnly<Partial<Order>>({
        externalId,
        orderType: optionalString(entity.orderType),
        orderMethod: optionalString(entity.orderMethod),
        customerComment: optionalString(entity.customerComment),
        managerComment: optionalString(entity.managerComment),
        managerId: typeof entity.managerId === "number" ? entity.managerId : undefined
      }),
      id,
      // NOTE: guess. Numbers RetailCRM generates for API orders end in "A" in public examples.
      number: number ?? `${id}A`,
      createdAt: createdAt ?? this.#context.now(),
      status,
      site,
      customer: { id: customerId ?? this.#createCustomerFor(contact, site) },
      items: keepLastLinePerOffer(items),
      delivery: isPlainObject(entity.delivery)
        ? (structuredClone(entity.delivery) as OrderDelivery)
        : { cost: 0, netCost: 0 },
      payments: this.#paymentsFrom(entity.payments),
      customFields: isPlainObject(entity.customFields) ? structuredClone(entity.customFields) : {},
      fromApi: true
    })
    this.#createdIds.push(order.id)
    return crmReply(201, { success: true, id: order.id, order })
  }

  #buildItem(input: OrderItemInput): OrderItem {
    const id = input.id ?? this.#nextItemId
    this.#nextItemId = Math.max(this.#nextItemId, id + 1)
    const quantity = input.quantity ?? 1
    const match = input.offer === undefined ? undefined : this.#context.catalogue.findOffer({ id: input.offer.id })
    const offer = input.offer === undefined ? undefined : { ...(match && offerSnapshot(match.offer)), ...input.offer }
    const initialPrice = input.initialPrice ?? match?.offer.price ?? 0
    return {
      id,
      quantity,
      ...(input.productName === undefined ? {} : { productName: input.productName }),
      initialPrice,
      prices: input.prices ?? [{ price: initialPrice, quantity }],
      ...(offer === undefined ? {} : { offer })
    }
  }

  /**
   * Returns the id of the customer the order refers to, or undefined when it names none. An
   * unknown customer is recorded in `errors`.
   */
  #resolveCustomerId(reference: unknown, site: string, errors: Record<string, string>): number | undefined {
    if (reference === undefined || reference === null) return undefined
    if (!isPlainObject(reference)) {
      errors.customer = "The value must be an object with id or externalId."
      return undefined
    }

    const id = optionalString(reference.id)
    if (id !== undefined) {
      const customer = this.#context.findCustomer(id, "id", null)
      // The real reply shows this text for an unknown externalId. NOTE: the id variant is modelled on it.
      if (customer === undefined) errors["customer.id"] = `Customer with id=${id} not found.`
      return customer?.id
    }

    const externalId = optionalString(reference.externalId)
    if (externalId !== undefined) {
      const customer = this.#context.findCustomer(externalId, "externalId", optionalString(reference.site) ?? site)
      if (customer === undefined) errors["customer.externalId"] = `Customer with externalId=${externalId} not found.`
      return customer?.id
    }

    errors.customer = "Set customer.id or customer.externalId."
    return undefined
  }

  // NOTE: guess. It is unknown whether RetailCRM creates a customer for an order without one.
  #createCustomerFor(contact: Partial<Order>, site: string): number {
    const customer = this.#context.addCustomer({
      site,
      ...definedOnly<CustomerInput>({ firstName: contact.firstName, lastName: contact.lastName, email: contact.email }),
      phones: contact.phone === undefined ? [] : [{ number: contact.phone }]
    })
    return customer.id
  }

  /** Checks each item and returns the valid ones. Problems are recorded in `errors` under `items[<index>]…` keys. */
  #resolveItems(value: unknown, errors: Record<string, string>): OrderItemInput[] {
    if (value === undefined || value === null) return []
    if (!Array.isArray(value)) {
      errors.items = "The value must be a list."
      return []
    }

    const items: OrderItemInput[] = []
    value.forEach((raw: unknown, index) => {
      const key = `items[${index}]`
      if (!isPlainObject(raw)) {
        errors[key] = "The value must be an object."
        return
      }

      const quantity = raw.quantity === undefined ? 1 : Number(raw.quantity)
      if (!Number.isFinite(quantity) || quantity <= 0) {
        errors[`${key}.quantity`] = `The value "${String(raw.quantity)}" is not valid: use a positive number.`
      }
      const initialPrice = raw.initialPrice === undefined ? undefined : Number(raw.initialPrice)
      if (initialPrice !== undefined && (!Number.isFinite(initialPrice) || initialPrice < 0)) {
        errors[`${key}.initialPrice`] =
          `The value "${String(raw.initialPrice)}" is not valid: use a number of 0 or more.`
      }
      const productName = optionalString(raw.productName)

      if (raw.offer === undefined || raw.offer === null) {
        if (productName === undefined || productName.trim() === "") errors[key] = "Set offer or productName."
        items.push(definedOnly<OrderItemInput>({ quantity, productName, initialPrice }))
        return
      }

      const offer = this.#resolveOffer(raw.offer, `${key}.offer`, errors)
      if (offer === undefined) return
      // A client-sent initialPrice overrides the catalogue price, because RetailCRM accepts the field on items.
      items.push(
        definedOnly<OrderItemInput>({
          quantity,
          productName,
          initialPrice: initialPrice ?? offer.price,
          offer: offerSnapshot(offer)
        })
      )
    })
    return items
  }

  /**
   * Finds the catalogue offer an item refers to. An offer that is inactive, out of stock or in
   * an inactive product is rejected.
   * NOTE: guess. RetailCRM's texts for a missing or unavailable offer are unknown, and whether
   * it blocks an order on stock at all is not documented.
   */
  #resolveOffer(value: unknown, key: string, errors: Record<string, string>): Offer | undefined {
    if (!isPlainObject(value)) {
      errors[key] = "The value must be an object with id, externalId or xmlId."
      return undefined
    }
    const idText = optionalString(value.id)
    const reference = definedOnly<OfferReference>({
      id: idText === undefined ? undefined : Number(idText),
      externalId: optionalString(value.externalId),
      xmlId: optionalString(value.xmlId)
    })
    if (Object.keys(reference).length === 0) {
      errors[key] = "Set one of id, externalId, xmlId."
      return undefined
    }

    const match = this.#context.catalogue.findOffer(reference)
    if (match === undefined) {
      errors[key] = "Offer not found."
      return undefined
    }
    const { product, offer } = match
    if (!product.active || !offer.active || offer.quantity <= 0) {
      errors[key] = `Offer with id=${offer.id} is not available.`
      return undefined
    }
    return offer
  }

  /** Turns the list of payments a client sends into the map keyed by payment id that RetailCRM returns. */
  #paymentsFrom(value: unknown): Record<string, unknown> {
    if (!Array.isArray(value)) return {}
    const payments: Record<string, unknown> = {}
    for (const payment of value) {
      if (!isPlainObject(payment)) continue
      const id = this.#nextPaymentId
      this.#nextPaymentId += 1
      payments[String(id)] = { ...payment, id }
    }
    return payments
  }

  #find(identifier: string, by: ByIdentifier, site: string | null): StoredOrder | undefined {
    if (by === "id") {
      return /^\d+$/.test(identifier) ? this.#orders.get(Number(identifier)) : undefined
    }
    // externalId is unique per store, so the store narrows the search when given.
    return this.#sorted().find((order) => order.externalId === identifier && (site === null || order.site === site))
  }

  #sorted(): StoredOrder[] {
    return [...this.#orders.values()].sort((left, right) => left.id - right.id)
  }

  /** Copies a stored order with the current customer embedded, as RetailCRM sends it. */
  #present(order: StoredOrder): Order {
    const copy = structuredClone(order)
    return { ...copy, customer: this.#context.customer(order.customer.id) ?? copy.customer }
  }
}

/**
 * Builds the order filter from `filter[...]` parameters. Unknown filters are rejected, as for
 * customers. The `createdAtFrom` and `createdAtTo` bounds are inclusive.
 */
function parseOrderFilter(
  query: URLSearchParams,
  customerOf: (id: number) => Customer | undefined
): OrderFilter | InputErrors {
  const checks: ((order: StoredOrder) => boolean)[] = []
  const lists = new Map<string, string[]>()
  const errors: Record<string, string> = {}

  for (const [key, value] of query) {
    if (!key.startsWith("filter[")) continue
    const arrayKey = arrayFilterName(key)
    if (arrayKey !== undefined && ["ids", "externalIds", "numbers", "sites", "extendedStatus"].includes(arrayKey)) {
      lists.set(arrayKey, [...(lists.get(arrayKey) ?? []), value])
    } else if (key === "filter[customerId]") {
      if (value !== "") checks.push((order) => String(order.customer.id) === value)
    } else if (key === "filter[customerExternalId]") {
      if (value !== "") checks.push((order) => customerOf(order.customer.id)?.externalId === value)
    } else if (key === "filter[createdAtFrom]" || key === "filter[createdAtTo]") {
      const bound = key === "filter[createdAtFrom]" ? "from" : "to"
      const limit = parseDateTimeBound(value, bound)
      if (limit === undefined) {
        errors[key] = `The value "${value}" is not valid: use Y-m-d H:i:s or Y-m-d.`
      } else {
        checks.push((order) => (bound === "from" ? order.createdAt >= limit : order.createdAt <= limit))
      }
    } else {
      errors[key] = "This filter is not supported."
    }
  }
  if (Object.keys(errors).length > 0) return { errors }

  const listCheck = (name: string, field: (order: StoredOrder) => string | undefined): void => {
    const values = lists.get(name)
    if (values !== undefined) checks.push((order) => values.includes(field(order) ?? ""))
  }
  listCheck("ids", (order) => String(order.id))
  listCheck("externalIds", (order) => order.externalId)
  listCheck("numbers", (order) => order.number)
  listCheck("sites", (order) => order.site)
  listCheck("extendedStatus", (order) => order.status)
  return { matches: (order) => checks.every((check) => check(order)) }
}

// Comparing `Y-m-d H:i:s` strings as text orders them by time.
function sortOrders(orders: readonly StoredOrder[], sort: OrderListSort): StoredOrder[] {
  if (sort === "insertion") return [...orders]
  const direction = sort === "newest" ? -1 : 1
  return [...orders].sort((left, right) => {
    if (left.createdAt < right.createdAt) return -direction
    if (left.createdAt > right.createdAt) return direction
    return direction * (left.id - right.id)
  })
}

/**
 * Keeps only the last of several lines that refer to the same catalogue offer. RetailCRM is
 * reported to merge such lines this way, so a client should send one line per offer.
 */
function keepLastLinePerOffer(items: readonly OrderItemInput[]): OrderItemInput[] {
  return items.filter((item, index) => {
    const offerId = item.offer?.id
    if (offerId === undefined) return true
    return !items.slice(index + 1).some((later) => later.offer?.id === offerId)
  })
}

function contactOf(customer: Customer | undefined): Partial<Order> {
  if (customer === undefined) return {}
  return definedOnly<Partial<Order>>({
    firstName: customer.firstName,
    lastName: customer.lastName,
    phone: customer.phones[0]?.number,
    email: customer.email
  })
}

function contactFields(entity: Record<string, unknown>): Partial<Order> {
  return definedOnly<Partial<Order>>({
    firstName: optionalString(entity.firstName),
    lastName: optionalString(entity.lastName),
    patronymic: optionalString(entity.patronymic),
    phone: optionalString(entity.phone),
    email: optionalString(entity.email)
  })
}

function offerSnapshot(offer: Offer): OrderOffer {
  const { id, externalId, xmlId, name, displayName, article } = offer
  return definedOnly<OrderOffer>({ id, externalId, xmlId, name, displayName, article })
}

/** Drops fields whose value is undefined, which `exactOptionalPropertyTypes` does not allow in optional properties. */
function definedOnly<Shape extends object>(record: { [Key in keyof Shape]: Shape[Key] | undefined }): Shape {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Shape
}
