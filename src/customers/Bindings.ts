import { Clock, Data, Effect, Option } from "effect"
import { AppConfig } from "../Config.js"
import { BotError } from "../domain/BotError.js"
import type { MessengerIdentity } from "../domain/Identity.js"
import type { NormalizedPhone } from "../domain/Phone.js"
import { normalizePhone } from "../domain/Phone.js"
import { formatCrmDateTime } from "../domain/Time.js"
import type { VerificationMethod } from "../otp/OtpSession.js"
import { OwnerLocks } from "../otp/OwnerLocks.js"
import type { CrmError } from "../retailcrm/errors.js"
import type { Customer } from "../retailcrm/model.js"
import { customFieldText } from "../retailcrm/model.js"
import { RetailCrm } from "../retailcrm/RetailCrm.js"
import { ChatbotMarks } from "./ChatbotMarks.js"

/** Another customer's binding field of the channel already contains the messenger account id. */
export class BindingConflict extends Data.TaggedError("BindingConflict")<{
  readonly holderIds: ReadonlyArray<string>
}> {}

/** The customer a session was issued for is no longer in RetailCRM. */
export class CustomerGone extends Data.TaggedError("CustomerGone")<{
  readonly customerId: string
}> {}

/** Maps a RetailCRM failure that a flow does not handle itself to the bot's `crm_unavailable`. */
export const crmUnavailable = (_: CrmError) => new BotError({ code: "crm_unavailable" })

/**
 * Messenger bindings: the customer custom field of each channel contains the bound account id. RetailCRM
 * is the only record of them, so nothing is cached here.
 */
export class Bindings extends Effect.Service<Bindings>()("retailcrm-bot-auth/Bindings", {
  effect: Effect.gen(function* () {
    const crm = yield* RetailCrm
    const marks = yield* ChatbotMarks
    const locks = yield* OwnerLocks
    const { retailCrm: config } = yield* AppConfig
    const fields = config.fields

    /** Finds the customers whose binding field equals this account id, since the CRM filter may match loosely. */
    const holders = (identity: MessengerIdentity) => {
      const field = fields.binding[identity.channelType]
      return crm
        .findCustomersByCustomField(field, identity.accountId)
        .pipe(
          Effect.map((customers) =>
            customers.filter((customer) => customFieldText(customer, field) === identity.accountId)
          )
        )
    }

    /**
     * Sets `chatbot_interacted` on a customer the service resolved safely, once per customer ever. Best
     * effort: a failure is logged (the client logs CRM failures) and never reaches the caller.
     */
    const markInteraction = (customerId: string) =>
      Effect.gen(function* () {
        if (yield* marks.isMarked(customerId)) return
        // Concurrent requests for one customer wait here, and the later ones find the mark recorded.
        yield* locks.withLock(`mark|${customerId}`)(
          Effect.gen(function* () {
            if (yield* marks.isMarked(customerId)) return
            yield* crm.editCustomer(customerId, { customFields: { [fields.chatbotInteracted]: true } })
            yield* marks.record(customerId, yield* Clock.currentTimeMillis)
          })
        )
      }).pipe(
        Effect.catchAll((error) =>
          Effect.logWarning("Chatbot interaction mark not set").pipe(
            Effect.annotateLogs({ customerId, error: error._tag })
          )
        )
      )

    /**
     * Resolves the customer bound to this messenger account: `None` when no customer is, `binding_conflict`
     * when several are, `customer_mismatch` when the caller's `customerId` names another customer. The
     * caller's `customerId` is a consistency check only and never grants access.
     */
    const resolveBound = (identity: MessengerIdentity, claimedCustomerId: Option.Option<string>) =>
      Effect.gen(function* () {
        const bound = yield* holders(identity).pipe(Effect.mapError(crmUnavailable))
        if (bound.length === 0) return Option.none<Customer>()
        if (bound.length > 1) {
          yield* Effect.logWarning("Messenger account is bound to several customers").pipe(
            Effect.annotateLogs({
              channelType: identity.channelType,
              accountId: identity.accountId,
              customerIds: bound.map((customer) => customer.id).join(",")
            })
          )
          return yield* new BotError({ code: "binding_conflict" })
        }
        const customer = bound[0] as Customer
        if (Option.isSome(claimedCustomerId) && claimedCustomerId.value !== customer.id) {
          yield* Effect.logWarning("customerId differs from the bound customer").pipe(
            Effect.annotateLogs({ claimedCustomerId: claimedCustomerId.value, customerId: customer.id })
          )
          return yield* new BotError({ code: "customer_mismatch" })
        }
        yield* markInteraction(customer.id)
        return Option.some(customer)
      })

    /**
     * Binds the account to `customerId` after a verified code: refuses when another customer holds it,
     * replaces (and logs) a different id the customer itself held, and writes the binding with the three
     * `bot_last_*` fields in one edit.
     */
    const bind = (customerId: string, identity: MessengerIdentity, method: VerificationMethod) =>
      Effect.gen(function* () {
        const field = fields.binding[identity.channelType]
        const others = (yield* holders(identity)).filter((customer) => customer.id !== customerId)
        if (others.length > 0) return yield* new BindingConflict({ holderIds: others.map((customer) => customer.id) })

        const customer = yield* crm
          .getCustomer(customerId)
          .pipe(Effect.catchTag("CrmNotFound", () => Effect.fail(new CustomerGone({ customerId }))))
        const previous = customFieldText(customer, field)
        if (previous !== undefined && previous !== "" && previous !== identity.accountId) {
          yield* Effect.logInfo("Binding replaces the customer's previous account id").pipe(
            Effect.annotateLogs({
              customerId,
              channelType: identity.channelType,
              previousAccountId: previous,
              accountId: identity.accountId
            })
          )
        }

        const now = yield* Clock.currentTimeMillis
        yield* crm
          .editCustomer(customerId, { customFields: bindingFields(identity, method, now) })
          .pipe(Effect.catchTag("CrmNotFound", () => Effect.fail(new CustomerGone({ customerId }))))
        return { customer, verifiedAt: now }
      })

    /** The binding field with the three `bot_last_*` fields, as written after a verified code. */
    const bindingFields = (identity: MessengerIdentity, method: VerificationMethod, now: number) => ({
      [fields.binding[identity.channelType]]: identity.accountId,
      [fields.lastVerifiedChannel]: identity.channelType,
      [fields.lastVerifiedAt]: formatCrmDateTime(now, config.timeZone),
      [fields.lastVerificationMethod]: method
    })

    /**
     * Creates a customer bound to the account after a verified code, on `site`. A customer already holding
     * the account with this phone is taken as the one an earlier, interrupted attempt created; any other
     * holder is a conflict.
     */
    const createBound = (
      identity: MessengerIdentity,
      method: VerificationMethod,
      person: {
        readonly phone: NormalizedPhone
        readonly firstName?: string | undefined
        readonly lastName?: string | undefined
        readonly email?: string | undefined
      },
      site: string
    ) =>
      Effect.gen(function* () {
        const bound = yield* holders(identity)
        if (bound.length > 0) {
          const own = bound.find((customer) =>
            customer.phones.some((entry) => normalizePhone(entry.number ?? "") === person.phone)
          )
          if (bound.length === 1 && own !== undefined) return { customerId: own.id, created: false }
          return yield* new BindingConflict({ holderIds: bound.map((customer) => customer.id) })
        }
        const now = yield* Clock.currentTimeMillis
        const customerId = yield* crm.createCustomer(
          {
            ...(person.firstName === undefined ? {} : { firstName: person.firstName }),
            ...(person.lastName === undefined ? {} : { lastName: person.lastName }),
            ...(person.email === undefined ? {} : { email: person.email }),
            phones: [{ number: `+${person.phone}` }],
            customFields: bindingFields(identity, method, now)
          },
          Option.some(site)
        )
        yield* Effect.logInfo("Customer created and bound").pipe(
          Effect.annotateLogs({ customerId, channelType: identity.channelType, site })
        )
        return { customerId, created: true }
      })

    /** Clears the channel's binding field (set to `""`); the `bot_last_*` fields stay as they were. */
    const unbind = (customer: Customer, identity: MessengerIdentity) =>
      crm.editCustomer(customer.id, { customFields: { [fields.binding[identity.channelType]]: "" } })

    return { resolveBound, bind, createBound, unbind, markInteraction } as const
  })
}) {}
