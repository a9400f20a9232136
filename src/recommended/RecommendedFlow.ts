import { Clock, Effect, Option } from "effect"
import type { CheckRequest } from "../authorization/Requests.js"
import { AppConfig } from "../Config.js"
import { Bindings, crmUnavailable } from "../customers/Bindings.js"
import { withClaimedSession } from "../customers/ClaimedBinding.js"
import { PhoneLookup } from "../customers/PhoneLookup.js"
import { BotError } from "../domain/BotError.js"
import { validEmail } from "../domain/Email.js"
import type { MessengerIdentity } from "../domain/Identity.js"
import type { NormalizedPhone } from "../domain/Phone.js"
import { normalizePhone } from "../domain/Phone.js"
import { formatCrmDateTime } from "../domain/Time.js"
import { createOrderOnce } from "../orders/OrderCreation.js"
import { OrderLedger } from "../orders/OrderLedger.js"
import { orderCreatedText, orderHandOffText } from "../orders/texts.js"
import type { SessionTarget } from "../otp/OtpIssuer.js"
import { OtpIssuer } from "../otp/OtpIssuer.js"
import type { OtpSession } from "../otp/OtpSession.js"
import { OtpSessions } from "../otp/OtpSessions.js"
import { OtpVerifier } from "../otp/OtpVerifier.js"
import { OwnerLocks } from "../otp/OwnerLocks.js"
import type { Customer } from "../retailcrm/model.js"
import { RetailCrm } from "../retailcrm/RetailCrm.js"
import type { RecommendedOffer } from "./OfferCatalogue.js"
import { OfferCatalogue } from "./OfferCatalogue.js"
import type { ResolvedOffer } from "./ProductResolver.js"
import { ProductResolver } from "./ProductResolver.js"
import type { CreateRequest, PreviewRequest, Recipient, StartRequest } from "./Requests.js"
import type { SessionDetails } from "./SessionDetails.js"
import { readDetails, writeDetails } from "./SessionDetails.js"
import { previewText, recommendedOrderComment } from "./texts.js"

/** The person an order is for: what the shopper typed, else the customer's own data. */
interface OrderRecipient {
  readonly firstName?: string | undefined
  readonly lastName?: string | undefined
  readonly phone?: string | undefined
  readonly email?: string | undefined
}

const present = (value: string | null | undefined) =>
  value === null || value === undefined || value.trim() === "" ? undefined : value.trim()

/** Returns the customer's first phone that normalizes, with a `+`, as RetailCRM stores typed phones. */
const customerPhone = (customer: Customer): string | undefined => {
  for (const entry of customer.phones) {
    const phone = normalizePhone(entry.number ?? "")
    if (phone !== undefined) return `+${phone}`
  }
  return undefined
}

const recipientFor = (
  typed: Recipient,
  phone: NormalizedPhone | undefined,
  customer: Customer | undefined
): OrderRecipient => {
  let recipientPhone: string | undefined
  if (phone !== undefined) recipientPhone = `+${phone}`
  else if (customer !== undefined) recipientPhone = customerPhone(customer)
  return {
    firstName: typed.firstName ?? present(customer?.firstName),
    lastName: typed.lastName ?? present(customer?.lastName),
    phone: recipientPhone,
    email: typed.email ?? validEmail(customer?.email)
  }
}

// Orders are looked for from a minute before the create began, since the CRM's clock may differ from ours.
const clockSkewMillis = 60_000

/**
 * Recommended sets: preview a set, order it for a bound customer, or verify a shopper with a code first
 * (creating the customer when the phone is not in the CRM) and then order it.
 */
export class RecommendedFlow extends Effect.Service<RecommendedFlow>()("retailcrm-bot-auth/RecommendedFlow", {
  effect: Effect.gen(function* () {
    const { orders: orderSettings, recommended: settings, retailCrm: crmSettings } = yield* AppConfig
    const catalogue = yield* OfferCatalogue
    const products = yield* ProductResolver
    const crm = yield* RetailCrm
    const bindings = yield* Bindings
    const phones = yield* PhoneLookup
    const issuer = yield* OtpIssuer
    const verifier = yield* OtpVerifier
    const sessions = yield* OtpSessions
    const ledger = yield* OrderLedger
    const locks = yield* OwnerLocks

    const findOffer = (offerCode: string) =>
      Option.match(Option.fromNullable(catalogue.find(offerCode)), {
        onNone: () => Effect.fail(new BotError({ code: "unknown_offer", fields: { offerCode } })),
        onSome: Effect.succeed
      })

    /** The set's catalogue offer in RetailCRM; a set whose article is not found is never ordered. */
    const resolveProduct = (offer: RecommendedOffer) =>
      products.resolve(offer.bundleArticle).pipe(
        Effect.mapError(crmUnavailable),
        Effect.flatMap(
          Option.match({
            onNone: () =>
              Effect.logWarning("Recommended set's article is not in the CRM catalogue").pipe(
                Effect.annotateLogs({ offerCode: offer.offerCode, bundleArticle: offer.bundleArticle }),
                Effect.zipRight(
                  Effect.fail(new BotError({ code: "product_not_found", fields: { offerCode: offer.offerCode } }))
                )
              ),
            onSome: Effect.succeed
          })
        )
      )

    /**
     * Creates the order of a set once. After a failure that may have created it, the customer's orders
     * since the attempt began are searched for one with this comment and this offer.
     */
    const placeOrder = (
      customerId: string,
      offer: RecommendedOffer,
      resolved: ResolvedOffer,
      recipient: OrderRecipient
    ) => {
      const comment = recommendedOrderComment(offer.offerCode)
      return createOrderOnce({
        payload: () => ({
          status: settings.orderStatus,
          customer: { id: Number(customerId) },
          ...Option.match(orderSettings.orderType, { onNone: () => ({}), onSome: (orderType) => ({ orderType }) }),
          ...Option.match(orderSettings.orderMethod, {
            onNone: () => ({}),
            onSome: (orderMethod) => ({ orderMethod })
          }),
          ...(recipient.firstName === undefined ? {} : { firstName: recipient.firstName }),
          ...(recipient.lastName === undefined ? {} : { lastName: recipient.lastName }),
          ...(recipient.phone === undefined ? {} : { phone: recipient.phone }),
          ...(recipient.email === undefined ? {} : { email: recipient.email }),
          items: [{ offer: { id: Number(resolved.offerId) }, quantity: 1 }],
          customerComment: comment
        }),
        site: Option.some(settings.orderSite),
        findCreated: (_, startedAt) =>
          crm
            .listCustomerOrdersSince(customerId, formatCrmDateTime(startedAt - clockSkewMillis, crmSettings.timeZone))
            .pipe(
              Effect.map((orders) =>
                Option.fromNullable(
                  orders.find(
                    (order) =>
                      order.customerComment === comment &&
                      (order.items ?? []).some((item) => item.offer?.id === resolved.offerId)
                  )
                ).pipe(Option.map((order) => ({ orderId: order.id, orderNumber: order.number ?? order.id })))
              )
            )
      }).pipe(
        Effect.tap((created) =>
          Effect.logInfo("Recommended order created").pipe(
            Effect.annotateLogs({ customerId, offerCode: offer.offerCode, orderId: created.orderId })
          )
        ),
        Effect.catchTags({
          ItemRejected: (rejected) =>
            Effect.logWarning("RetailCRM rejected the recommended set's offer").pipe(
              Effect.annotateLogs({
                offerCode: offer.offerCode,
                offerId: resolved.offerId,
                errors: rejected.messages.join("; ")
              }),
              Effect.zipRight(
                Effect.fail(new BotError({ code: "product_not_found", fields: { offerCode: offer.offerCode } }))
              )
            ),
          OrderNotCreated: (failure) =>
            Effect.logError("Recommended order not created; the manager hand-off text was sent").pipe(
              Effect.annotateLogs({ customerId, offerCode: offer.offerCode, reason: failure.reason }),
              Effect.zipRight(
                Effect.fail(
                  new BotError({
                    code: "order_create_failed",
                    text: orderHandOffText,
                    fields: { offerCode: offer.offerCode }
                  })
                )
              )
            )
        })
      )
    }

    /**
     * Orders a set for a customer once per dedup window, from `create` and `check` alike. A second request
     * for the same customer and set within `REPEAT_ORDER_DEDUP_SECONDS` gets the first order.
     */
    const orderSetOnce = (customerId: string, offer: RecommendedOffer, recipient: OrderRecipient) =>
      locks.withLock(`recommended|${customerId}|${offer.offerCode}`)(
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          const since = now - orderSettings.repeatDedupSeconds * 1000
          const earlier = yield* ledger.findSince("recommended", customerId, offer.offerCode, since)
          if (Option.isSome(earlier)) {
            yield* Effect.logInfo("Recommended order within the dedup window; returning the earlier order").pipe(
              Effect.annotateLogs({ customerId, offerCode: offer.offerCode, orderId: earlier.value.orderId })
            )
            return { orderId: earlier.value.orderId, orderNumber: earlier.value.orderNumber }
          }
          const resolved = yield* resolveProduct(offer)
          const order = yield* placeOrder(customerId, offer, resolved, recipient)
          yield* ledger.record("recommended", customerId, offer.offerCode, {
            ...order,
            createdAt: yield* Clock.currentTimeMillis
          })
          return order
        })
      )

    const preview = (request: PreviewRequest) =>
      Effect.gen(function* () {
        const offer = yield* findOffer(request.offerCode)
        const bound = Option.isSome(request.identity)
          ? yield* bindings.resolveBound(request.identity.value, request.customerId)
          : Option.none<Customer>()
        return {
          status: "ok" as const,
          offerCode: offer.offerCode,
          title: offer.title,
          text: previewText(offer),
          authorized: Option.isSome(bound),
          customerId: Option.match(bound, { onNone: () => null, onSome: (customer) => customer.id })
        }
      })

    const create = (request: CreateRequest) =>
      Effect.gen(function* () {
        const offer = yield* findOffer(request.offerCode)
        const bound = yield* bindings.resolveBound(request.identity, request.customerId)
        if (Option.isNone(bound)) return { status: "not_authorized" as const, offerCode: offer.offerCode }
        const customer = bound.value
        const fields = { customerId: customer.id, offerCode: offer.offerCode }

        const recipient = recipientFor(request.recipient, Option.getOrUndefined(request.phone), customer)
        const order = yield* orderSetOnce(customer.id, offer, recipient).pipe(
          Effect.mapError((error) => withFields(error, fields))
        )
        return created(fields, order.orderId, order.orderNumber)
      })

    /**
     * Sends a code for a set. The set must resolve to a catalogue offer first, or nothing is sent. A phone
     * that is not in the CRM gets a real code, and the customer is created after the check.
     */
    const start = (request: StartRequest) =>
      Effect.gen(function* () {
        const offer = yield* findOffer(request.offerCode)
        yield* resolveProduct(offer)
        const details: SessionDetails = { offerCode: offer.offerCode, recipient: request.recipient }
        const issued = yield* issuer.start({
          owner: { purpose: "recommended_order", ...request.identity, phone: request.phone },
          chatExternalId: request.identity.chatExternalId,
          route: request.route,
          target: Effect.map(
            phones.findOwner(request.phone),
            Option.match({
              onNone: (): SessionTarget => ({ _tag: "CreateCustomer" }),
              onSome: (customerId): SessionTarget => ({ _tag: "Customer", customerId })
            })
          ),
          details: writeDetails(details),
          isRepeatOf: (earlier) => readDetails(earlier.details)?.offerCode === offer.offerCode
        })
        return { status: "sent" as const, offerCode: offer.offerCode, ...issued }
      }).pipe(Effect.mapError((error) => withFields(error, { offerCode: request.offerCode })))

    /** Binds the session's customer, or creates one, and records the stage in the session. */
    const customerStage = (session: OtpSession, details: SessionDetails, identity: MessengerIdentity) =>
      Effect.gen(function* () {
        const method = session.route ?? "sms_otp"
        const customer: Customer | undefined =
          session.customerId === null
            ? undefined
            : (yield* bindings.bind(session.customerId, identity, method)).customer
        const customerId =
          customer?.id ??
          (yield* bindings.createBound(
            identity,
            method,
            { phone: session.phone, ...details.recipient },
            settings.orderSite
          )).customerId
        const recipient = recipientFor(details.recipient, session.phone, customer)
        const next: SessionDetails = {
          ...details,
          customerId,
          recipient: {
            ...(recipient.firstName === undefined ? {} : { firstName: recipient.firstName }),
            ...(recipient.lastName === undefined ? {} : { lastName: recipient.lastName }),
            ...(recipient.email === undefined ? {} : { email: recipient.email })
          }
        }
        yield* sessions.updateDetails(session.id, writeDetails(next))
        yield* sessions.close(session.id, "used", yield* Clock.currentTimeMillis)
        return next
      })

    /** Creates the session's order, or returns the one it already created. */
    const orderStage = (session: OtpSession, details: SessionDetails & { readonly customerId: string }) =>
      Effect.gen(function* () {
        const fields = { customerId: details.customerId, offerCode: details.offerCode, authorized: true }
        if (details.order !== undefined) return created(fields, details.order.id, details.order.number)
        const offer = yield* findOffer(details.offerCode)
        const order = yield* orderSetOnce(details.customerId, offer, {
          ...details.recipient,
          phone: `+${session.phone}`
        })
        yield* sessions.updateDetails(
          session.id,
          writeDetails({ ...details, order: { id: order.orderId, number: order.orderNumber } })
        )
        yield* bindings.markInteraction(details.customerId)
        return created(fields, order.orderId, order.orderNumber)
      }).pipe(
        Effect.mapError((error) =>
          withFields(error, { customerId: details.customerId, offerCode: details.offerCode, authorized: true })
        )
      )

    const check = (request: CheckRequest) =>
      Effect.gen(function* () {
        const owned = { ...request, purpose: "recommended_order" as const }

        // Checks of one session run one at a time. A check replayed after the customer stage resumes at the
        // order, without the code.
        return yield* locks.withLock(`session|${request.sessionId}`)(
          Effect.gen(function* () {
            const current = yield* verifier.load(owned)
            const stored = readDetails(current.details)
            if (stored === undefined) return yield* Effect.dieMessage("a recommended-order session has no details")
            if (current.state === "used" && stored.customerId !== undefined) {
              return yield* orderStage(current, { ...stored, customerId: stored.customerId })
            }

            const session = yield* verifier.verify(owned)
            const staged = yield* withClaimedSession(
              session,
              request.identity,
              customerStage(session, stored, request.identity)
            )
            if (staged.customerId === undefined)
              return yield* Effect.dieMessage("the customer stage recorded no customer")
            return yield* orderStage(session, { ...staged, customerId: staged.customerId })
          })
        )
      })

    return { preview, create, start, check } as const
  })
}) {}

const created = (fields: Readonly<Record<string, string | boolean>>, orderId: string, orderNumber: string) => ({
  status: "created" as const,
  ...fields,
  authorized: true,
  newOrderId: orderId,
  newOrderNumber: orderNumber,
  text: orderCreatedText(orderNumber)
})

/** Adds reply fields to a failure, keeping those it already has. */
const withFields = (error: BotError, fields: Readonly<Record<string, string | boolean>>) =>
  new BotError({ ...error, fields: { ...fields, ...error.fields } })
