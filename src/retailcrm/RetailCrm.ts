import type { HttpClientError, HttpClientResponse } from "@effect/platform"
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Clock, Duration, Effect, Option, RateLimiter, Redacted, Schedule, Schema } from "effect"
import { AppConfig } from "../Config.js"
import { withCallTimeout } from "../upstream/Deadline.js"
import { parseJsonOrUndefined } from "../upstream/json.js"
import { classifyTransport } from "../upstream/transport.js"
import type { CrmError, CrmFieldError } from "./errors.js"
import { CrmNotFound, CrmRateLimited, CrmRejected, CrmTimeout, CrmUnavailable, isTransient } from "./errors.js"
import type { Customer, ReferenceEntry } from "./model.js"
import {
  CreatedCustomer,
  CreatedOrder,
  CustomerList,
  CustomerReply,
  ErrorEnvelope,
  IdReply,
  OrderList,
  OrderReply,
  ProductList,
  StatusesReply,
  StatusGroupsReply
} from "./model.js"

/** Query parameters in RetailCRM's bracket notation, in order, e.g. `["filter[ids][]", "1"]`. */
export type CrmQuery = ReadonlyArray<readonly [string, string]>

// RetailCRM accepts page sizes of 20, 50 and 100 (a live test saw 300 rejected); 100 keeps lookups to one page.
const pageSize = "100"

// A loose filter could match many customers. Past this many pages the lookup stops and logs a warning.
const maxPages = 5

/** Reads are repeated on transient failures, twice at most, after a jittered exponential pause. */
export const readRetryPolicy = Schedule.exponential(Duration.millis(100), 2).pipe(
  Schedule.jittered,
  Schedule.intersect(Schedule.recurs(2))
)

const errorEntries = (errors: unknown): ReadonlyArray<CrmFieldError> => {
  if (Array.isArray(errors)) return errors.map((message, index) => ({ key: String(index), message: String(message) }))
  if (typeof errors === "object" && errors !== null) {
    return Object.entries(errors).map(([key, message]) => ({ key, message: String(message) }))
  }
  return []
}

/**
 * The RetailCRM API v5 client: `X-API-KEY` auth, bracket-encoded GET parameters, POST bodies as forms
 * whose entity is one JSON string field, and the `{success, …}` envelope read into typed errors.
 * Every call passes a client-side rate limit (`RETAILCRM_MAX_RPS`, since RetailCRM throttles at about
 * 10 requests per second with 503), has its own timeout capped by the request deadline, and is logged
 * once when it fails. Reads are retried by `readRetryPolicy`; writes are never repeated here.
 */
export class RetailCrm extends Effect.Service<RetailCrm>()("retailcrm-bot-auth/RetailCrm", {
  scoped: Effect.gen(function* () {
    const { retailCrm: config } = yield* AppConfig
    const rateLimit = yield* RateLimiter.make({ limit: config.maxRequestsPerSecond, interval: "1 second" })
    const client = (yield* HttpClient.HttpClient).pipe(
      HttpClient.mapRequest(HttpClientRequest.setHeader("X-API-KEY", Redacted.value(config.apiKey))),
      HttpClient.mapRequest(HttpClientRequest.acceptJson),
      HttpClient.withTracerPropagation(false)
    )
    const siteParam = (site: Option.Option<string>): CrmQuery =>
      Option.match(
        Option.orElse(site, () => config.site),
        {
          onNone: () => [],
          onSome: (code) => [["site", code] as const]
        }
      )

    const readReply = (operation: string, response: HttpClientResponse.HttpClientResponse) =>
      Effect.gen(function* () {
        const body = yield* response.text.pipe(
          Effect.mapError(
            (error) =>
              new CrmUnavailable({
                operation,
                reason: "connection_reset",
                status: response.status,
                detail: error.message
              })
          )
        )
        const json = parseJsonOrUndefined(body)
        const status = response.status
        if (status === 503 || status === 429) return yield* new CrmRateLimited({ operation, status })
        if (status === 404) return yield* new CrmNotFound({ operation })
        if (json === undefined || typeof json !== "object" || json === null) {
          return yield* new CrmUnavailable({
            operation,
            reason: status >= 500 ? "server_error" : "bad_response",
            status,
            detail: `non-JSON reply of ${body.length} bytes`
          })
        }
        if (status >= 500) {
          return yield* new CrmUnavailable({ operation, reason: "server_error", status, detail: "server error" })
        }
        if ((json as { success?: unknown }).success !== true) {
          const envelope = Schema.decodeUnknownOption(ErrorEnvelope)(json)
          return yield* new CrmRejected({
            operation,
            status,
            errorMsg: Option.match(envelope, { onNone: () => "", onSome: (e) => e.errorMsg ?? "" }),
            errors: Option.match(envelope, { onNone: () => [], onSome: (e) => errorEntries(e.errors) })
          })
        }
        return json
      })

    const transportError = (operation: string) => (error: HttpClientError.HttpClientError) =>
      error._tag === "RequestError"
        ? new CrmUnavailable({ operation, reason: classifyTransport(error), detail: error.message })
        : new CrmUnavailable({ operation, reason: "connection_reset", detail: error.message })

    /** Sends one request: rate limit, timeout, classification, one log line when it fails. */
    const call = <A, I>(operation: string, request: HttpClientRequest.HttpClientRequest, schema: Schema.Schema<A, I>) =>
      Effect.gen(function* () {
        const started = yield* Clock.currentTimeMillis
        return yield* rateLimit(client.execute(request)).pipe(
          Effect.mapError(transportError(operation)),
          Effect.flatMap((response) => readReply(operation, response)),
          withCallTimeout(config.timeout, () => new CrmTimeout({ operation })),
          Effect.flatMap((json) =>
            Schema.decodeUnknown(schema)(json).pipe(
              Effect.mapError(
                (error) =>
                  new CrmUnavailable({ operation, reason: "bad_response", detail: error.message.slice(0, 500) })
              )
            )
          ),
          Effect.tapError((error) => logFailure(error, started))
        )
      })

    const logFailure = (error: CrmError, started: number) =>
      Effect.gen(function* () {
        if (error._tag === "CrmNotFound") return
        const latencyMs = (yield* Clock.currentTimeMillis) - started
        yield* Effect.logWarning("RetailCRM call failed").pipe(
          Effect.annotateLogs({
            upstream: "retailcrm",
            operation: error.operation,
            error: error._tag,
            status: "status" in error ? error.status : undefined,
            reason: error._tag === "CrmUnavailable" ? error.reason : undefined,
            errorMsg: error._tag === "CrmRejected" ? error.errorMsg : undefined,
            errors:
              error._tag === "CrmRejected" ? error.errors.map((e) => `${e.key}: ${e.message}`).join("; ") : undefined,
            latencyMs
          })
        )
      })

    const read = <A, I>(operation: string, path: string, query: CrmQuery, schema: Schema.Schema<A, I>) =>
      call(operation, HttpClientRequest.get(`${config.baseUrl}/api/v5${path}`, { urlParams: query }), schema).pipe(
        Effect.retry({ schedule: readRetryPolicy, while: isTransient })
      )

    const write = <A, I>(
      operation: string,
      path: string,
      form: Readonly<Record<string, string>>,
      site: Option.Option<string>,
      schema: Schema.Schema<A, I>
    ) =>
      call(
        operation,
        HttpClientRequest.post(`${config.baseUrl}/api/v5${path}`).pipe(
          HttpClientRequest.bodyUrlParams([...Object.entries(form), ...siteParam(site)])
        ),
        schema
      )

    /** Lists every customer matching `filter`, following pages up to a bound. */
    const findCustomers = (operation: string, filter: CrmQuery): Effect.Effect<ReadonlyArray<Customer>, CrmError> =>
      Effect.gen(function* () {
        const customers: Array<Customer> = []
        for (let page = 1; page <= maxPages; page++) {
          const reply = yield* read(
            operation,
            "/customers",
            [...filter, ["limit", pageSize], ["page", String(page)], ...siteParam(Option.none())],
            CustomerList
          )
          customers.push(...reply.customers)
          const totalPages = reply.pagination?.totalPageCount ?? 1
          if (page >= totalPages) return customers
        }
        yield* Effect.logWarning("RetailCRM customer search stopped at the page bound").pipe(
          Effect.annotateLogs({ upstream: "retailcrm", operation, maxPages })
        )
        return customers
      })

    /**
     * Customers whose full name or phone matches `query`: RetailCRM has no phone filter, and `filter[name]`
     * searches both. The caller re-checks phones, since the match is loose.
     */
    const findCustomersByName = (query: string) => findCustomers("customers.findByName", [["filter[name]", query]])

    /** Customers whose custom field `code` matches `value`, loosely: the caller re-checks equality. */
    const findCustomersByCustomField = (code: string, value: string) =>
      findCustomers("customers.findByCustomField", [[`filter[customFields][${code}]`, value]])

    const getCustomer = (id: string) =>
      read(
        "customers.get",
        `/customers/${encodeURIComponent(id)}`,
        [["by", "id"], ...siteParam(Option.none())],
        CustomerReply
      ).pipe(Effect.map((reply) => reply.customer))

    /** Changes only the fields given; custom fields are changed key by key. */
    const editCustomer = (
      id: string,
      patch: Readonly<Record<string, unknown>>,
      site: Option.Option<string> = Option.none()
    ) =>
      write(
        "customers.edit",
        `/customers/${encodeURIComponent(id)}/edit`,
        { customer: JSON.stringify(patch), by: "id" },
        site,
        IdReply
      ).pipe(Effect.asVoid)

    /** The customer's latest orders, one page of `limit` (20, 50 or 100). */
    const listCustomerOrders = (customerId: string, limit: number) =>
      read(
        "orders.listByCustomer",
        "/orders",
        [["filter[customerId]", customerId], ["limit", String(limit)], ["page", "1"], ...siteParam(Option.none())],
        OrderList
      ).pipe(Effect.map((reply) => reply.orders))

    /** Orders with exactly this number; RetailCRM's order get has no `by=number`. */
    const findOrdersByNumber = (number: string, site: Option.Option<string> = Option.none()) =>
      read(
        "orders.findByNumber",
        "/orders",
        [["filter[numbers][]", number], ["limit", "20"], ["page", "1"], ...siteParam(site)],
        OrderList
      ).pipe(Effect.map((reply) => reply.orders.filter((order) => order.number === number)))

    const getOrder = (id: string) =>
      read(
        "orders.get",
        `/orders/${encodeURIComponent(id)}`,
        [["by", "id"], ...siteParam(Option.none())],
        OrderReply
      ).pipe(Effect.map((reply) => reply.order))

    /** Creates an order; never repeated here, since a repeat after a lost reply could create a second order. */
    const createOrder = (order: Readonly<Record<string, unknown>>, site: Option.Option<string>) =>
      write("orders.create", "/orders/create", { order: JSON.stringify(order) }, site, CreatedOrder)

    const referenceEntries = (entries: unknown): ReadonlyArray<ReferenceEntry> =>
      Array.isArray(entries) ? [] : Object.values(entries as Readonly<Record<string, ReferenceEntry>>)

    /** Order statuses with their group codes (inactive ones included, since old orders keep them). */
    const orderStatuses = read("reference.statuses", "/reference/statuses", [], StatusesReply).pipe(
      Effect.map((reply) => referenceEntries(reply.statuses))
    )

    const orderStatusGroups = read("reference.statusGroups", "/reference/status-groups", [], StatusGroupsReply).pipe(
      Effect.map((reply) => referenceEntries(reply.statusGroups))
    )

    /**
     * Catalogue products matching `query` by name. RetailCRM has no article filter and does not document
     * whether `filter[name]` matches articles, so the caller checks articles itself.
     */
    const findProductsByName = (query: string) =>
      read(
        "store.products",
        "/store/products",
        [["filter[name]", query], ["limit", pageSize], ["page", "1"], ...siteParam(Option.none())],
        ProductList
      ).pipe(Effect.map((reply) => reply.products))

    /** The customer's orders created at or after `createdAtFrom` (`Y-m-d H:i:s` in the CRM's time zone). */
    const listCustomerOrdersSince = (customerId: string, createdAtFrom: string) =>
      read(
        "orders.listByCustomerSince",
        "/orders",
        [
          ["filter[customerId]", customerId],
          ["filter[createdAtFrom]", createdAtFrom],
          ["limit", pageSize],
          ["page", "1"],
          ...siteParam(Option.none())
        ],
        OrderList
      ).pipe(Effect.map((reply) => reply.orders))

    /** Creates a customer; never repeated here, for the same reason as orders. */
    const createCustomer = (customer: Readonly<Record<string, unknown>>, site: Option.Option<string>) =>
      write(
        "customers.create",
        "/customers/create",
        { customer: JSON.stringify(customer) },
        site,
        CreatedCustomer
      ).pipe(Effect.map((reply) => reply.id))

    return {
      findCustomersByName,
      findProductsByName,
      listCustomerOrdersSince,
      createCustomer,
      findCustomersByCustomField,
      getCustomer,
      editCustomer,
      listCustomerOrders,
      findOrdersByNumber,
      getOrder,
      createOrder,
      orderStatuses,
      orderStatusGroups,
      read,
      write
    } as const
  })
}) {}
