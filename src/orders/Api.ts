import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { replyDefinition } from "../http/BotReply.js"
import { alsoMultipart, documentedBody, documentedQuery, withIdentity } from "../http/docs.js"
import { ErrorCodeField, IdField, MessageField, TextField } from "../http/replyFields.js"
import { WebhookAuth } from "../http/WebhookAuth.js"

const Nullable = Schema.NullOr(Schema.String)

export const OrderSummary = Schema.Struct({
  orderNumber: Schema.String,
  sourceOrderId: Schema.String,
  sourceOrderNumber: Nullable,
  createdAt: Nullable.annotations({ description: "ISO 8601 UTC." }),
  createdAtText: Nullable.annotations({ description: "dd.mm.yyyy in the CRM's time zone." }),
  itemsText: Schema.String,
  deliveryAddressText: Nullable,
  statusGroup: Schema.Literal("assembling", "delivery", "complete"),
  statusLabel: Schema.String,
  deliveryCode: Nullable,
  trackingCode: Nullable,
  trackingUrl: Nullable,
  canTrackOnline: Schema.Boolean,
  detailText: Schema.String,
  repeatConfirmText: Schema.String,
  trackingText: Nullable,
  trackingNumber: Nullable.annotations({ description: "Alias of trackingCode." }),
  deliveryStatus: Schema.String.annotations({ description: "Alias of statusLabel." })
}).annotations({ identifier: "OrderSummary" })

export const OrdersReply = Schema.Struct({
  status: Schema.Literal("ok", "empty", "not_authorized", "conflict", "error"),
  customerId: IdField,
  shownCount: Schema.Int,
  orders: Schema.Array(OrderSummary),
  text: TextField,
  errorCode: ErrorCodeField,
  message: MessageField
}).annotations({ identifier: "OrdersReply" })

export const RepeatReply = Schema.Struct({
  status: Schema.Literal("created", "unavailable_item", "not_found", "not_authorized", "conflict", "error"),
  customerId: IdField,
  sourceOrderId: IdField,
  sourceOrderNumber: IdField,
  newOrderId: IdField,
  newOrderNumber: IdField,
  unavailableItemName: TextField,
  text: TextField,
  errorCode: ErrorCodeField,
  message: MessageField
}).annotations({ identifier: "RepeatOrderReply" })

export const ordersReply = replyDefinition(OrdersReply, { shownCount: 0, orders: [] })

export const repeatReply = replyDefinition(RepeatReply)

export const OrdersApi = HttpApiGroup.make("orders")
  .add(
    HttpApiEndpoint.get("list", "/orders")
      .addSuccess(OrdersReply)
      .annotateContext(documentedQuery(withIdentity("customerId", "limit")))
      .annotate(OpenApi.Summary, "The bound customer's recent orders, with ready texts")
  )
  .add(
    HttpApiEndpoint.post("repeat", "/orders/repeat")
      .setPayload(documentedBody("RepeatOrder", withIdentity("customerId", "sourceOrderId", "sourceOrderNumber")))
      .addSuccess(RepeatReply)
      .annotateContext(alsoMultipart)
      .annotate(OpenApi.Summary, "Repeat one of the bound customer's orders")
  )
  .middleware(WebhookAuth)
