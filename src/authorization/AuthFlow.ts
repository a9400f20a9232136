import { Effect, Option } from "effect"
import { AppConfig } from "../Config.js"
import { Bindings, crmUnavailable } from "../customers/Bindings.js"
import { withClaimedSession } from "../customers/ClaimedBinding.js"
import { PhoneLookup } from "../customers/PhoneLookup.js"
import { maskPhone, normalizePhone } from "../domain/Phone.js"
import { isoUtc } from "../domain/Time.js"
import type { SessionTarget } from "../otp/OtpIssuer.js"
import { OtpIssuer } from "../otp/OtpIssuer.js"
import { OtpSessions } from "../otp/OtpSessions.js"
import { OtpVerifier } from "../otp/OtpVerifier.js"
import type { Customer } from "../retailcrm/model.js"
import type { CheckRequest, ResendRequest, StartRequest, StatusRequest } from "./Requests.js"

export const unlinkedText =
  "Учётная запись отвязана. Для входа в защищённые разделы потребуется снова подтвердить номер телефона."

const dayMillis = 24 * 60 * 60 * 1000

/** Returns the customer's first phone that normalizes, masked, or `null` when there is none. */
const firstMaskedPhone = (customer: Customer): string | null => {
  for (const entry of customer.phones) {
    const phone = normalizePhone(entry.number ?? "")
    if (phone !== undefined) return maskPhone(phone)
  }
  return null
}

/** The authorization flow: status, start, check, resend and unlink of a messenger account. */
export class AuthFlow extends Effect.Service<AuthFlow>()("retailcrm-bot-auth/AuthFlow", {
  effect: Effect.gen(function* () {
    const { otp } = yield* AppConfig
    const bindings = yield* Bindings
    const phones = yield* PhoneLookup
    const issuer = yield* OtpIssuer
    const verifier = yield* OtpVerifier
    const sessions = yield* OtpSessions

    const status = (request: StatusRequest) =>
      Effect.map(bindings.resolveBound(request.identity, request.customerId), (bound) =>
        Option.match(bound, {
          onNone: () => ({ status: "not_authorized" as const }),
          onSome: (customer) => ({
            status: "authorized" as const,
            customerId: customer.id,
            maskedPhone: firstMaskedPhone(customer)
          })
        })
      )

    /** A phone with no customer gets a fake session, so the reply does not tell who is a customer. */
    const start = (request: StartRequest) =>
      Effect.map(
        issuer.start({
          owner: { purpose: "auth", ...request.identity, phone: request.phone },
          chatExternalId: request.identity.chatExternalId,
          route: request.route,
          target: Effect.map(
            phones.findOwner(request.phone),
            Option.match({
              onNone: (): SessionTarget => ({ _tag: "Fake" }),
              onSome: (customerId): SessionTarget => ({ _tag: "Customer", customerId })
            })
          )
        }),
        (issued) => ({ status: "sent" as const, ...issued })
      )

    const check = (request: CheckRequest) =>
      Effect.gen(function* () {
        const session = yield* verifier.verify({ ...request, purpose: "auth" })
        const customerId = session.customerId
        if (customerId === null) return yield* Effect.dieMessage("a real auth session has no customer")
        const method = session.route ?? "sms_otp"

        const bound = yield* withClaimedSession(
          session,
          request.identity,
          bindings.bind(customerId, request.identity, method)
        )
        yield* sessions.close(session.id, "used", bound.verifiedAt)
        yield* Effect.logInfo("Messenger account bound").pipe(
          Effect.annotateLogs({
            sessionId: session.id,
            customerId,
            channelType: request.identity.channelType,
            method
          })
        )
        yield* bindings.markInteraction(customerId)

        return {
          status: "authorized" as const,
          authorized: true,
          customerId,
          verifiedUntil: isoUtc(bound.verifiedAt + otp.verificationValidDays * dayMillis),
          maskedPhone: maskPhone(session.phone)
        }
      })

    const resend = (request: ResendRequest) =>
      Effect.map(
        issuer.resend({
          sessionId: request.sessionId,
          purpose: "auth",
          channelType: request.channelType,
          accountId: request.accountId,
          route: request.route
        }),
        (issued) => ({ status: "sent" as const, retryAfterSec: issued.retryAfterSec, maskedPhone: issued.maskedPhone })
      )

    const unlink = (request: StatusRequest) =>
      Effect.gen(function* () {
        const bound = yield* bindings.resolveBound(request.identity, request.customerId)
        if (Option.isNone(bound))
          return { status: "not_authorized" as const, channelType: request.identity.channelType }
        yield* bindings.unbind(bound.value, request.identity).pipe(Effect.mapError(crmUnavailable))
        yield* Effect.logInfo("Messenger account unbound").pipe(
          Effect.annotateLogs({ customerId: bound.value.id, channelType: request.identity.channelType })
        )
        return {
          status: "unlinked" as const,
          customerId: bound.value.id,
          channelType: request.identity.channelType,
          text: unlinkedText
        }
      })

    return { status, start, check, resend, unlink } as const
  })
}) {}
