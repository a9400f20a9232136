import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { channelTypes } from "../domain/Identity.js"
import { replyDefinition } from "../http/BotReply.js"
import { alsoMultipart, documentedBody, documentedQuery, withIdentity } from "../http/docs.js"
import { ErrorCodeField, IdField, MaskedPhoneField, MessageField, TextField } from "../http/replyFields.js"
import { WebhookAuth } from "../http/WebhookAuth.js"

const Seconds = Schema.NullOr(Schema.Int)

export const AuthStatusReply = Schema.Struct({
  status: Schema.Literal("authorized", "not_authorized", "conflict", "error"),
  customerId: IdField,
  maskedPhone: MaskedPhoneField,
  errorCode: ErrorCodeField,
  message: MessageField
}).annotations({ identifier: "AuthStatusReply" })

export const AuthStartReply = Schema.Struct({
  status: Schema.Literal("sent", "rate_limited", "error"),
  sessionId: IdField,
  maskedPhone: MaskedPhoneField,
  retryAfterSec: Seconds.annotations({ description: "Seconds until a resend (sent) or the next send (rate_limited)." }),
  errorCode: ErrorCodeField,
  message: MessageField
}).annotations({ identifier: "AuthStartReply" })

export const AuthCheckReply = Schema.Struct({
  status: Schema.Literal("authorized", "invalid_code", "expired", "too_many_attempts", "conflict", "error"),
  authorized: Schema.Boolean,
  customerId: IdField,
  verifiedUntil: Schema.NullOr(Schema.String).annotations({ description: "ISO 8601 UTC." }),
  maskedPhone: MaskedPhoneField,
  errorCode: ErrorCodeField,
  message: MessageField
}).annotations({ identifier: "AuthCheckReply" })

export const AuthResendReply = Schema.Struct({
  status: Schema.Literal("sent", "too_early", "expired", "rate_limited", "error"),
  retryAfterSec: Seconds,
  maskedPhone: MaskedPhoneField,
  errorCode: ErrorCodeField,
  message: MessageField
}).annotations({ identifier: "AuthResendReply" })

export const AuthUnlinkReply = Schema.Struct({
  status: Schema.Literal("unlinked", "not_authorized", "conflict", "error"),
  customerId: IdField,
  channelType: Schema.NullOr(Schema.Literal(...channelTypes)),
  text: TextField,
  errorCode: ErrorCodeField,
  message: MessageField
}).annotations({ identifier: "AuthUnlinkReply" })

export const statusReply = replyDefinition(AuthStatusReply)

export const startReply = replyDefinition(AuthStartReply)

export const checkReply = replyDefinition(AuthCheckReply, { authorized: false })

export const resendReply = replyDefinition(AuthResendReply)

export const unlinkReply = replyDefinition(AuthUnlinkReply)

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
