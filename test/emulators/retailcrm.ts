import type { RecordedRequest, Reply, Route } from "./http.js"
import { digitsOf, findRoute, HttpEmulator, isPlainObject } from "./http.js"
import type { Offer, OfferInput, Product, ProductInput } from "./retailcrm-catalogue.js"
import { Catalogue } from "./retailcrm-catalogue.js"
import type {
  DeliveryAddress,
  DeliveryService,
  Order,
  OrderCustomerReference,
  OrderDelivery,
  OrderInput,
  OrderItem,
  OrderItemInput,
  OrderItemPrice,
  OrderListSort,
  OrderOffer
} from "./retailcrm-orders.js"
import { OrderBook } from "./retailcrm-orders.js"
import type { Status, StatusGroup, StatusInput } from "./retailcrm-reference.js"
import { StatusBook } from "./retailcrm-reference.js"
import type { ByIdentifier, InputErrors } from "./retailcrm-wire.js"
import {
  badBy,
  crmError,
  crmReply,
  formatDateTime,
  paginate,
  parseBy,
  parseEntity,
  parsePaging
} from "./retailcrm-wire.js"

export type {
  DeliveryAddress,
  DeliveryService,
  Offer,
  OfferInput,
  Order,
  OrderCustomerReference,
  OrderDelivery,
  OrderInput,
  OrderItem,
  OrderItemInput,
  OrderItemPrice,
  OrderListSort,
  OrderOffer,
  Product,
  ProductInput,
  Status,
  StatusGroup,
  StatusInput
}

export interface RetailCrmEmulatorOptions {
  apiKey: string
  port?: number
  /** Store code given to customers and orders created without one (default "test-site"). */
  site?: string
  /**
   * IANA time zone of the `Y-m-d H:i:s` times the emulator writes (default "Europe/Moscow").
   * NOTE: RetailCRM does not document the zone of its times. The service assumes the account's zone.
   */
  timeZone?: string
  /** Initial value of `orderListSort` (default "newest"). */
  orderListSort?: OrderListSort
}

export interface CustomerPhone {
  number: string
}

/** A customer in RetailCRM's v5 shape, reduced to the fields the service reads or writes. */
export interface Customer {
  type: "customer"
  id: number
  externalId?: string
  site: string
  /** `Y-m-d H:i:s` */
  createdAt: string
  firstName: string
  lastName: string
  patronymic?: string
  email?: string
  phones: CustomerPhone[]
  /** Keyed by field code. An empty map is sent as `[]`, as RetailCRM does. */
  customFields: Record<string, unknown>
}

export type CustomerInput = Partial<Omit<Customer, "type">>

// Fields a customer edit may not change.
const readOnlyFields = new Set(["id", "type", "createdAt"])

/**
 * In-memory RetailCRM API v5 for tests. It covers customers, orders, order statuses and
 * status groups, and the product catalogue.
 */
export class RetailCrmEmulator extends HttpEmulator {
  /** Order of `GET /api/v5/orders` results, which RetailCRM does not document. Tests may change it at any time. */
  orderListSort: OrderListSort
  readonly #apiKey: string
  readonly #defaultSite: string
  readonly #timeZone: string
  readonly #customers = new Map<number, Customer>()
  readonly #catalogue = new Catalogue()
  readonly #statuses = new StatusBook()
  readonly #orders: OrderBook
  readonly #routes: Route[]
  #nextCustomerId = 1001

  private constructor(options: RetailCrmEmulatorOptions) {
    super()
    this.#apiKey = options.apiKey
    this.#defaultSite = options.site ?? "test-site"
    this.#timeZone = options.timeZone ?? "Europe/Moscow"
    // Formatting once makes an unknown time zone fail here rather than on the first request.
    formatDateTime(new Date(), this.#timeZone)
    this.orderListSort = options.orderListSort ?? "newest"
    this.#orders = new OrderBook({
      defaultSite: this.#defaultSite,
      catalogue: this.#catalogue,
      statuses: this.#statuses,
      now: () => this.#now(),
      customer: (id) => this.customer(id),
      findCustomer: (identifier, by, site) => this.#findCustomer(identifier, by, site),
      addCustomer: (input) => this.addCustomer(input)
    })
    this.#routes = [
      { method: "GET", pattern: /^\/api\/v5\/customers$/, handle: (request) => this.#listCustomers(request) },
      { method: "POST", pattern: /^\/api\/v5\/customers\/create$/, handle: (request) => this.#createCustomer(request) },
      {
        method: "POST",
        pattern: /^\/api\/v5\/customers\/([^/]+)\/edit$/,
        handle: (request, [identifier]) => this.#editCustomer(request, identifier ?? "")
      },
      {
        method: "GET",
        pattern: /^\/api\/v5\/customers\/([^/]+)$/,
        handle: (request, [identifier]) => this.#getCustomer(request, identifier ?? "")
      },
      {
        method: "GET",
        pattern: /^\/api\/v5\/orders$/,
        handle: (request) => this.#orders.list(request, this.orderListSort)
      },
      { method: "POST", pattern: /^\/api\/v5\/orders\/create$/, handle: (request) => this.#orders.create(request) },
      {
        method: "GET",
        pattern: /^\/api\/v5\/orders\/([^/]+)$/,
        handle: (request, [identifier]) => this.#orders.getReply(request, identifier ?? "")
      },
      { method: "GET", pattern: /^\/api\/v5\/reference\/statuses$/, handle: () => this.#statuses.statusesReply() },
      { method: "GET", pattern: /^\/api\/v5\/reference\/status-groups$/, handle: () => this.#statuses.groupsReply() },
      { method: "GET", pattern: /^\/api\/v5\/store\/products$/, handle: (request) => this.#catalogue.list(request) }
    ]
  }

  static async start(options: RetailCrmEmulatorOptions): Promise<RetailCrmEmulator> {
    const emulator = new RetailCrmEmulator(options)
    await emulator.listen(options.port)
    return emulator
  }

  /** Stores a customer and returns a copy. Ids are assigned from 1001 upwards unless given. */
  addCustomer(input: CustomerInput = {}): Customer {
    const id = input.id ?? this.#nextCustomerId
    if (this.#customers.has(id))
      throw new Error(`Customer ${id} already exists in the emulator: pass another id or none.`)
    this.#nextCustomerId = Math.max(this.#nextCustomerId, id + 1)
    const customer: Customer = {
      type: "customer",
      site: this.#defaultSite,
      createdAt: this.#now(),
      firstName: "Test",
      lastName: `Customer${id}`,
      phones: [],
      ...input,
      id,
      customFields: { ...input.customFields }
    }
    this.#customers.set(id, customer)
    return structuredClone(customer)
  }

  /** Returns a copy of the stored customer, or undefined. */
  customer(id: number): Customer | undefined {
    const customer = this.#customers.get(id)
    return customer === undefined ? undefined : structuredClone(customer)
  }

  /** Returns copies of all stored customers in id order. */
  customers(): Customer[] {
    return this.#sortedCustomers().map((customer) => structuredClone(customer))
  }

  /** Stores a product and returns a copy. Product ids start at 2001 and offer ids at 3001 unless given. */
  addProduct(input: ProductInput = {}): Product {
    return this.#catalogue.add(input)
  }

  /** Returns a copy of the stored product, or undefined. */
  product(id: number): Product | undefined {
    return this.#catalogue.product(id)
  }

  /** Returns copies of all stored products in id order. */
  products(): Product[] {
    return this.#catalogue.products()
  }

  /** Replaces every order status. Each must name one of the groups new, approval, assembling, delivery, complete, cancel. */
  setStatuses(list: readonly StatusInput[]): void {
    this.#statuses.set(list)
  }

  /** Adds an order status, or replaces the one with the same code. */
  addStatus(input: StatusInput): Status {
    return this.#statuses.add(input)
  }

  /** Returns copies of all order statuses. */
  statuses(): Status[] {
    return this.#statuses.list()
  }

  /**
   * Stores an order and returns it as the API sends it. Ids start at 5001 unless given, and the
   * default number is the id followed by "C".
   */
  addOrder(input: OrderInput): Order {
    return this.#orders.add(input)
  }

  /** Returns the stored order as the API sends it, or undefined. */
  order(id: number): Order | undefined {
    return this.#orders.get(id)
  }

  /** Returns all stored orders in id order. */
  orders(): Order[] {
    return this.#orders.all()
  }

  /** Returns the orders created through `POST /api/v5/orders/create`, oldest first. */
  createdOrders(): Order[] {
    return this.#orders.created()
  }

  protected handle(request: RecordedRequest): Reply | Promise<Reply> {
    const lookup = findRoute(this.#routes, request.method, request.path)
    if (lookup === "not-found") return crmError(404, "API method not found")
    if (lookup === "method-not-allowed") return crmError(405, "Method Not Allowed")

    const apiKey = request.headers["x-api-key"] ?? request.query.get("apiKey") ?? request.form?.get("apiKey")
    // NOTE: the status for a missing key is a guess. Only the text is known from the official clients.
    if (apiKey === undefined || apiKey === "") return crmError(403, '"apiKey" is missing.')
    if (apiKey !== this.#apiKey) return crmError(403, 'Wrong "apiKey" value.')

    return lookup.route.handle(request, lookup.params)
  }

  #listCustomers(request: RecordedRequest): Reply {
    const paging = parsePaging(request.query)
    if ("errors" in paging) return crmError(400, "Errors in the input parameters", paging.errors)
    const filter = parseCustomerFilter(request.query)
    if ("errors" in filter) return crmError(400, "Errors in the input parameters", filter.errors)

    const matching = this.#sortedCustomers().filter((customer) => filter.matches(customer))
    return crmReply(200, {
      success: true,
      ...paginate(matching, paging, "customers")
    })
  }

  #getCustomer(request: RecordedRequest, identifier: string): Reply {
    const by = parseBy(request.query.get("by"))
    if (by === undefined) return badBy()
    const customer = this.#findCustomer(identifier, by, request.query.get("site"))
    if (customer === undefined) return crmError(404, "Not found")
    return crmReply(200, { success: true, customer })
  }

  #editCustomer(request: RecordedRequest, identifier: string): Reply {
    const form = request.form ?? new URLSearchParams()
    const by = parseBy(form.get("by"))
    if (by === undefined) return badBy()
    const payload = parseEntity(form, "customer")
    if ("reply" in payload) return payload.reply

    const customer = this.#findCustomer(identifier, by, form.get("site"))
    if (customer === undefined) return crmError(404, "Not found")

    const record = customer as unknown as Record<string, unknown>
    for (const [field, value] of Object.entries(payload.entity)) {
      if (readOnlyFields.has(field)) continue
      if (field === "customFields") {
        mergeCustomFields(customer.customFields, value)
      } else if (value === null) {
        delete record[field]
      } else {
        record[field] = value
      }
    }
    return crmReply(200, { success: true, id: customer.id })
  }

  #createCustomer(request: RecordedRequest): Reply {
    const form = request.form ?? new URLSearchParams()
    const payload = parseEntity(form, "customer")
    if ("reply" in payload) return payload.reply

    const entity = payload.entity
    const site = form.get("site") ?? (typeof entity.site === "string" ? entity.site : this.#defaultSite)
    const externalId = entity.externalId === undefined ? undefined : String(entity.externalId)
    if (externalId !== undefined && this.#findCustomer(externalId, "externalId", site) !== undefined) {
      // NOTE: guessed reply. The real text for a duplicate externalId is not known.
      return crmError(400, "Errors in the entity format", {
        "customer[externalId]": `Customer with externalId=${externalId} already exists.`
      })
    }

    const { id: _ignoredId, type: _ignoredType, customFields, ...fields } = entity
    const customer = this.addCustomer({
      ...(fields as CustomerInput),
      ...(externalId === undefined ? {} : { externalId }),
      site,
      customFields: isPlainObject(customFields) ? withoutEmptyValues(customFields) : {}
    })
    return crmReply(201, { success: true, id: customer.id })
  }

  #findCustomer(identifier: string, by: ByIdentifier, site: string | null): Customer | undefined {
    if (by === "id") {
      return /^\d+$/.test(identifier) ? this.#customers.get(Number(identifier)) : undefined
    }
    // externalId is unique per store, so the store narrows the search when given.
    return this.#sortedCustomers().find(
      (customer) => customer.externalId === identifier && (site === null || customer.site === site)
    )
  }

  #sortedCustomers(): Customer[] {
    return [...this.#customers.values()].sort((left, right) => left.id - right.id)
  }

  #now(): string {
    return formatDateTime(new Date(), this.#timeZone)
  }
}

interface CustomerFilter {
  matches: (customer: Customer) => boolean
}

/**
 * Builds the customer filter from `filter[...]` parameters. Indexed array keys
 * (`filter[ids][0]`) are accepted as well as `filter[ids][]`, because PHP clients send them.
 */
function parseCustomerFilter(query: URLSearchParams): CustomerFilter | InputErrors {
  const checks: ((customer: Customer) => boolean)[] = []
  const ids: number[] = []
  const externalIds: string[] = []
  const sites: string[] = []
  const errors: Record<string, string> = {}

  for (const [key, value] of query) {
    if (!key.startsWith("filter[")) continue
    const arrayKey = /^filter\[(ids|externalIds|sites)\]\[\d*\]$/.exec(key)?.[1]
    const customField = /^filter\[customFields\]\[([^\]]+)\](?:\[(min|max)\])?$/.exec(key)
    if (arrayKey === "ids") {
      ids.push(Number(value))
    } else if (arrayKey === "externalIds") {
      externalIds.push(value)
    } else if (arrayKey === "sites") {
      sites.push(value)
    } else if (key === "filter[name]") {
      if (value.trim() !== "") checks.push((customer) => nameOrPhoneMatches(customer, value))
    } else if (key === "filter[email]") {
      if (value !== "") checks.push((customer) => (customer.email ?? "").toLowerCase().includes(value.toLowerCase()))
    } else if (customField !== null) {
      const code = customField[1] ?? ""
      const bound = customField[2]
      if (value !== "") checks.push((customer) => customFieldMatches(customer.customFields[code], value, bound))
    } else {
      // NOTE: rejecting unknown filters is a guess. It makes a misspelt filter fail instead of matching everyone.
      errors[key] = "This filter is not supported."
    }
  }
  if (Object.keys(errors).length > 0) return { errors }

  if (ids.length > 0) checks.push((customer) => ids.includes(customer.id))
  if (externalIds.length > 0) checks.push((customer) => externalIds.includes(customer.externalId ?? ""))
  if (sites.length > 0) checks.push((customer) => sites.includes(customer.site))
  return { matches: (customer) => checks.every((check) => check(customer)) }
}

/** Matches a substring of the full name, or, for a query with digits, the digits of any phone. */
function nameOrPhoneMatches(customer: Customer, query: string): boolean {
  const fullName = [customer.firstName, customer.lastName, customer.patronymic]
    .filter((part) => part !== undefined && part !== "")
    .join(" ")
    .toLowerCase()
  if (fullName.includes(query.trim().toLowerCase())) return true
  const queryDigits = digitsOf(query)
  if (queryDigits === "") return false
  return customer.phones.some((phone) => digitsOf(phone.number).includes(queryDigits))
}

/**
 * Matches loosely on purpose: a case-insensitive substring of the stored value. The real
 * filter is not documented as exact, so the service has to re-check what it gets back.
 */
function customFieldMatches(stored: unknown, query: string, bound: string | undefined): boolean {
  if (stored === undefined || stored === null) return false
  if (bound === "min") return Number(stored) >= Number(query)
  if (bound === "max") return Number(stored) <= Number(query)
  if (Array.isArray(stored)) return stored.some((item) => customFieldMatches(item, query, undefined))
  if (typeof stored === "object") return false
  return String(stored).toLowerCase().includes(query.toLowerCase())
}

// NOTE: guess. Here "" or null removes a custom field, but the real behaviour is not documented.
function mergeCustomFields(target: Record<string, unknown>, changes: unknown): void {
  if (!isPlainObject(changes)) return
  for (const [code, value] of Object.entries(changes)) {
    if (value === "" || value === null) {
      delete target[code]
    } else {
      target[code] = value
    }
  }
}

function withoutEmptyValues(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== "" && value !== null))
}
