import { Clock, Effect } from "effect"
import { BotError } from "../domain/BotError.js"
import type { MessengerIdentity } from "../domain/Identity.js"
import type { OtpSession } from "../otp/OtpSession.js"
import { OtpSessions } from "../otp/OtpSessions.js"
import type { CrmError } from "../retailcrm/errors.js"
import { isCrmError } from "../retailcrm/errors.js"
import type { BindingConflict, CustomerGone } from "./Bindings.js"
import { crmUnavailable } from "./Bindings.js"

const endSession = (sessionId: string, code: "binding_conflict" | "session_closed") =>
  Effect.gen(function* () {
    const sessions = yield* OtpSessions
    yield* sessions.close(sessionId, "ended", yield* Clock.currentTimeMillis)
    return yield* new BotError({ code })
  })

/**
 * Runs the CRM work that follows a verified code on a claimed session. A technical failure releases the
 * claim, so the shopper can retry the same code (the attempt stays counted), and replies
 * `crm_unavailable`. An account bound to another customer, or a customer gone from RetailCRM, ends the
 * session with `binding_conflict` or `session_closed`.
 */
export const withClaimedSession = <A, R>(
  session: OtpSession,
  identity: MessengerIdentity,
  work: Effect.Effect<A, CrmError | BindingConflict | CustomerGone, R>
): Effect.Effect<A, BotError, R | OtpSessions> =>
  Effect.flatMap(OtpSessions, (sessions) =>
    work.pipe(
      Effect.catchIf(isCrmError, (error) =>
        Effect.zipRight(sessions.releaseClaim(session.id), Effect.fail(crmUnavailable(error)))
      ),
      Effect.catchTags({
        BindingConflict: (conflict) =>
          Effect.logWarning("Binding refused: the account is bound to another customer").pipe(
            Effect.annotateLogs({
              sessionId: session.id,
              customerId: session.customerId,
              holderIds: conflict.holderIds.join(","),
              channelType: identity.channelType,
              accountId: identity.accountId
            }),
            Effect.zipRight(endSession(session.id, "binding_conflict"))
          ),
        CustomerGone: () =>
          Effect.logWarning("Binding refused: the session's customer is gone from RetailCRM").pipe(
            Effect.annotateLogs({ sessionId: session.id, customerId: session.customerId }),
            Effect.zipRight(endSession(session.id, "session_closed"))
          )
      }),
      Effect.onInterrupt(() => sessions.releaseClaim(session.id))
    )
  )
