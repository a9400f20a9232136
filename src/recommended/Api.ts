import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { replyDefinition } from "../http/BotReply.js"
import { alsoMultipart, documentedBody, withIdentity } from "../http/docs.js"
import { ErrorCodeField, IdField, MaskedPhoneField, MessageField, TextField } from "../http/replyFields.js"
import { WebhookAuth } from "../http/WebhookAuth.js"

const OfferCode = Schema.NullOr(Schema.String)

export const PreviewReply = Schema.Struct({
  status: Schema.Literal("ok", "unknown_offer", "conflict", "error"),
  offerCode: OfferCode,
  title: TextField,
  text: TextField,
  authorized: Schema.Boolean.annotations({ description: "Whether the messenger account is bound to a customer." }),
  customerId: IdField,
  errorCode: ErrorCodeField,
  message: MessageField
}).annotations({ identifier: "RecommendedPreviewReply" })

export const CreateReply = Schema.Struct({
  status: Schema.Literal("created", "not_authorized", "conflict", "unknown_offer", "error"),
  customerId: IdField,
  offerCode: OfferCode,
  newOrderId: IdField,
  newOrderNumber: IdField,
  text: TextField,
  errorCode: ErrorCodeField,
  message: MessageField
}).annotations({ identifier: "RecommendedCreateReply" })

export const StartReply = Schema.Struct({
  status: Schema.Literal("sent", "rate_limited", "unknown_offer", "error"),
  sessionId: IdField,
  maskedPhone: MaskedPhoneField,
  retryAfterSec: Schema.NullOr(Schema.Int),
  offerCode: OfferCode,
  errorCode: ErrorCodeField,
  message: MessageField
}).annotations({ identifier: "RecommendedStartReply" })

export const CheckReply = Schema.Struct({
  status: Schema.Literal("created", "invalid_code", "expired", "too_many_attempts", "conflict", "error"),
  authorized: Schema.Boolean,
  customerId: IdField,
  offerCode: OfferCode,
  newOrderId: IdField,
  newOrderNumber: IdField,
  text: TextField,
  errorCode: ErrorCodeField,
  message: MessageField
}).annotations({ identifier: "RecommendedCheckReply" })

export const previewReply = replyDefinition(PreviewReply, { authorized: false })

export const createReply = replyDefinition(CreateReply)

export const startReply = replyDefinition(StartReply)

export const checkReply = replyDefinition(CheckReply, { authorized: false })

export const RecommendedApi = HttpApiGroup.make("recommended")
  .add(
    HttpApiEndpoint.post("preview", "/orders/recommended/preview")
      .setPayload(documentedBody("RecommendedPreview", withIdentity("customerId", "offerCode")))
      .addSuccess(PreviewReply)
      .annotateContext(alsoMultipart)
      .annotate(OpenApi.Summary, "Describe a recommended set; identity is optional")
  )
  .add(
    HttpApiEndpoint.post("create", "/orders/recommended/create")
      .setPayload(
        documentedBody(
          "RecommendedCreate",
          withIdentity("customerId", "offerCode", "firstName", "lastName", "phone", "email")
        )
      )
      .addSuccess(CreateReply)
      .annotateContext(alsoMultipart)
      .annotate(OpenApi.Summary, "Order a set for the bound customer")
  )
  .add(
    HttpApiEndpoint.post("start", "/orders/recommended/start")
      .setPayload(
        documentedBody(
          "RecommendedStart",
          withIdentity("offerCode", "firstName", "lastName", "phone", "email", "deliveryRoute")
        )
      )
      .addSuccess(StartReply)
      .annotateContext(alsoMultipart)
      .annotate(OpenApi.Summary, "Order a set without a binding yet: send a code")
  )
  .add(
    HttpApiEndpoint.post("check", "/orders/recommended/check")
      .setPayload(documentedBody("RecommendedCheck", withIdentity("sessionId", "code")))
      .addSuccess(CheckReply)
      .annotateContext(alsoMultipart)
      .annotate(OpenApi.Summary, "Verify the code, bind or create the customer, and create the order")
  )
  .middleware(WebhookAuth)
