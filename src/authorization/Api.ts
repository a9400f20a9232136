import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { errorCodes } from "../domain/ErrorCode.js"
import { channelTypes } from "../domain/Identity.js"
import type { ReplyDefinition } from "../http/BotReply.js"
import { alsoMultipart, documentedBody, documentedQuery, withIdentity } from "../http/docs.js"
import { WebhookAuth } from "../http/WebhookAuth.js"

const ErrorCodeField = Schema.NullOr(Schema.Literal(...errorCodes)).annotations({
  description: "Set for every status but the normal outcomes."
})
const Message = Schema.NullOr(Schema.String).annotations({
  description: "Russian text for the shopper, fixed per errorCode."
})
const Id = Schema.NullOr(Schema.String)
const MaskedPhone = Schema.NullOr(Schema.String).annotations({ description: "Phone masked as +7 999 ***-**-67." })
const Seconds = Schema.NullOr(Schema.Int)

export const AuthStatusReply = Schema.Struct({
  status: Schema.Literal("authorized", "not_authorized", "conflict", "error"),
  customerId: Id,
  maskedPhone: MaskedPhone,
  errorCode: ErrorCodeField,
  message: Message
}).annotations({ identifier: "AuthStatusReply" })

export const AuthStartReply = Schema.Struct({
  status: Schema.Literal("sent", "rate_limited", "error"),
  sessionId: Id,
  maskedPhone: MaskedPhone,
  retryAfterSec: Seconds.annotations({ description: "Seconds until a resend (sent) or the next send (rate_limited)." }),
  errorCode: ErrorCodeField,
  message: Message
}).annotations({ identifier: "AuthStartReply" })

export const AuthCheckReply = Schema.Struct({
  status: Schema.Literal("authorized", "invalid_code", "expired", "too_many_attempts", "conflict", "error"),
  authorized: Schema.Boolean,
  customerId: Id,
  verifiedUntil: Schema.NullOr(Schema.String).annotations({ description: "ISO 8601 UTC." }),
  maskedPhone: MaskedPhone,
  errorCode: ErrorCodeField,
  message: Message
}).annotations({ identifier: "AuthCheckReply" })

export const AuthResendReply = Schema.Struct({
  status: Schema.Literal("sent", "too_early", "expired", "rate_limited", "error"),
  retryAfterSec: Seconds,
  maskedPhone: MaskedPhone,
  errorCode: ErrorCodeField,
  message: Message
}).annotations({ identifier: "AuthResendReply" })

export const AuthUnlinkReply = Schema.Struct({
  status: Schema.Literal("unlinked", "not_authorized", "conflict", "error"),
  customerId: Id,
  channelType: Schema.NullOr(Schema.Literal(...channelTypes)),
  text: Schema.NullOr(Schema.String),
  errorCode: ErrorCodeField,
  message: Message
}).annotations({ identifier: "AuthUnlinkReply" })

const base = { errorCode: null, message: null, status: "error" } as const

export const statusReply: ReplyDefinition<typeof AuthStatusReply.Type> = {
  statuses: AuthStatusReply.fields.status.literals,
  blank: { ...base, customerId: null, maskedPhone: null }
}

export const startReply: ReplyDefinition<typeof AuthStartReply.Type> = {
  statuses: AuthStartReply.fields.status.literals,
  blank: { ...base, sessionId: null, maskedPhone: null, retryAfterSec: null }
}

export const checkReply: ReplyDefinition<typeof AuthCheckReply.Type> = {
  statuses: AuthCheckReply.fields.status.literals,
  blank: { ...base, authorized: false, customerId: null, verifiedUntil: null, maskedPhone: null }
}

export const resendReply: ReplyDefinition<typeof AuthResendReply.Type> = {
  statuses: AuthResendReply.fields.status.literals,
  blank: { ...base, retryAfterSec: null, maskedPhone: null }
}

export const unlinkReply: ReplyDefinition<typeof AuthUnlinkReply.Type> = {
  statuses: AuthUnlinkReply.fields.status.literals,
  blank: { ...base, customerId: null, channelType: null, text: null }
}

export const AuthApi = HttpApiGroup.make("auth")
  .add(
    HttpApiEndpoint.get("status", "/auth/status")
      .addSuccess(AuthStatusReply)
      .annotateContext(documentedQuery(withIdentity("customerId")))
      .annotate(OpenApi.Summary, "Is this messenger account bound to a CRM customer?")
  )
  .add(
    HttpApiEndpoint.post("start", "/auth/start")
      .setPayload(documentedBody("AuthStart", withIdentity("phone", "deliveryRoute")))
      .addSuccess(AuthStartReply)
      .annotateContext(alsoMultipart)
      .annotate(OpenApi.Summary, "Send a one-time code to a phone")
  )
  .add(
    HttpApiEndpoint.post("check", "/auth/check")
      .setPayload(documentedBody("AuthCheck", withIdentity("sessionId", "code")))
      .addSuccess(AuthCheckReply)
      .annotateContext(alsoMultipart)
      .annotate(OpenApi.Summary, "Verify the code and bind the messenger account")
  )
  .add(
    HttpApiEndpoint.post("resend", "/auth/resend")
      .setPayload(documentedBody("AuthResend", withIdentity("sessionId", "deliveryRoute")))
      .addSuccess(AuthResendReply)
      .annotateContext(alsoMultipart)
      .annotate(OpenApi.Summary, "Send a new code for the same session")
  )
  .add(
    HttpApiEndpoint.post("unlink", "/auth/unlink")
      .setPayload(documentedBody("AuthUnlink", withIdentity("customerId")))
      .addSuccess(AuthUnlinkReply)
      .annotateContext(alsoMultipart)
      .annotate(OpenApi.Summary, "Remove this messenger account's binding")
  )
  .middleware(WebhookAuth)
  .annotate(OpenApi.Description, "Every reply is HTTP 200 with the complete field set; branch on status.")
