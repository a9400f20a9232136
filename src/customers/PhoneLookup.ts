import { Effect, Option } from "effect"
import { Deduper } from "../deduper/Deduper.js"
import { BotError } from "../domain/BotError.js"
import type { NormalizedPhone } from "../domain/Phone.js"
import { maskPhone, normalizePhone, phoneSearchKey } from "../domain/Phone.js"
import { RetailCrm } from "../retailcrm/RetailCrm.js"
import { crmUnavailable } from "./Bindings.js"

/** Deduper statuses that come with a usable `finalCustomerId`. */
const usableDedupeStatuses: ReadonlyArray<string> = ["single", "resolved", "resolved_with_fallback_primary"]

/** Finds the one CRM customer a phone belongs to, asking the deduper when the phone matches several. */
export class PhoneLookup extends Effect.Service<PhoneLookup>()("retailcrm-bot-auth/PhoneLookup", {
  effect: Effect.gen(function* () {
    const crm = yield* RetailCrm
    const deduper = yield* Deduper

    /**
     * Customers with a phone whose normalized form equals `phone`. RetailCRM stores phones as typed
     * (`8…`, `+7 …`), so the search uses the last ten digits and every hit is re-checked here.
     */
    const customersWithPhone = (phone: NormalizedPhone) =>
      crm.findCustomersByName(phoneSearchKey(phone)).pipe(
        Effect.map((customers) =>
          customers.filter((customer) => customer.phones.some((entry) => normalizePhone(entry.number ?? "") === phone))
        ),
        Effect.mapError(crmUnavailable)
      )

    /**
     * Returns the id of the customer the phone belongs to, or `None` when no customer has it. Several
     * customers go to the deduper once; any outcome but a usable status naming one of them is `dedupe_failed`.
     */
    const findOwner = (phone: NormalizedPhone): Effect.Effect<Option.Option<string>, BotError> =>
      Effect.gen(function* () {
        const ids = [...new Set((yield* customersWithPhone(phone)).map((customer) => customer.id))]
        if (ids.length === 0) return Option.none()
        if (ids.length === 1) return Option.some(ids[0] as string)

        const result = yield* deduper
          .autoResolve(phone)
          .pipe(Effect.mapError(() => new BotError({ code: "dedupe_failed" })))
        if (usableDedupeStatuses.includes(result.status) && ids.includes(result.finalCustomerId)) {
          return Option.some(result.finalCustomerId)
        }
        yield* Effect.logWarning("Deduper result is not usable").pipe(
          Effect.annotateLogs({
            phone: maskPhone(phone),
            dedupeStatus: result.status,
            finalCustomerId: result.finalCustomerId,
            candidateIds: ids.join(",")
          })
        )
        return yield* new BotError({ code: "dedupe_failed" })
      })

    return { findOwner } as const
  })
}) {}
