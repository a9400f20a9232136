import { HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"

/** Descriptions of the bot's input fields, shared by every endpoint's documentation. */
export const fieldDescriptions = {
  channelType: "Messenger of the account: telegram, vk, whatsapp, max or instagram.",
  messengerUserId: "Messenger account id; the first present of the four id fields is used.",
  customerExternalId: "Messenger account id (BotMarketing's customer.external_id).",
  messengerAccountId: "Messenger account id, alternative name.",
  messengerAccountIdFallback: "Messenger account id fallback (BotMarketing's last_message.from.external_id).",
  chatExternalId: "Chat id; logged and stored with sessions, never used for authorization.",
  customerId: "CRM customer id the bot believes is bound; only checked against the binding.",
  phone: "Phone number in any usual format, e.g. +7 900 000-00-01 or 89000000001.",
  deliveryRoute: "telegram, vk or sms. Default: telegram for Telegram, vk for VK, sms otherwise.",
  sessionId: "Session id from the start reply.",
  code: "The one-time code the shopper received.",
  limit: "Orders to show, 1 to 5; outside the range it is clamped, a non-number means the default.",
  sourceOrderId: "CRM id of the order to repeat; it must belong to the bound customer.",
  sourceOrderNumber: "CRM number of the order to repeat, used when sourceOrderId is absent.",
  offerCode: "Code of the recommended set, as in the sets file.",
  firstName: "Recipient's first name; default: the customer's own.",
  lastName: "Recipient's last name; default: the customer's own.",
  email: "Recipient's email; an invalid one is ignored. Default: the customer's own."
} as const

export type FieldName = keyof typeof fieldDescriptions

const identityFields: ReadonlyArray<FieldName> = [
  "channelType",
  "messengerUserId",
  "customerExternalId",
  "messengerAccountId",
  "messengerAccountIdFallback",
  "chatExternalId"
]

/** The identity fields followed by `extra`. */
export const withIdentity = (...extra: ReadonlyArray<FieldName>): ReadonlyArray<FieldName> => [
  ...identityFields,
  ...extra
]

const fieldsStruct = (fields: ReadonlyArray<FieldName>) =>
  Schema.Struct(
    Object.fromEntries(
      fields.map((name) => [name, Schema.optional(Schema.String.annotations({ description: fieldDescriptions[name] }))])
    )
  )

/**
 * Documents a POST body as JSON or a form, with every field optional. The handlers read the raw request
 * themselves (so that malformed input still gets a 200 reply), which means this schema is for the
 * OpenAPI document only and never rejects a request.
 */
export const documentedBody = (identifier: string, fields: ReadonlyArray<FieldName>) =>
  Schema.Union(
    fieldsStruct(fields).annotations({ identifier: `${identifier}Json` }),
    fieldsStruct(fields).pipe(HttpApiSchema.withEncoding({ kind: "UrlParams" }), (schema) =>
      schema.annotations({ identifier: `${identifier}Form` })
    )
  )

/** Adds multipart/form-data, which the server also reads, beside the form encoding of a documented body. */
export const alsoMultipart = OpenApi.annotations({
  transform: (operation) => {
    const content = operation.requestBody?.content
    const form = content?.["application/x-www-form-urlencoded"]
    return form === undefined
      ? operation
      : {
          ...operation,
          requestBody: { ...operation.requestBody, content: { ...content, "multipart/form-data": form } }
        }
  }
})

/** Documents GET query fields; like bodies, they are read by the handler and never rejected here. */
export const documentedQuery = (fields: ReadonlyArray<FieldName>) =>
  OpenApi.annotations({
    transform: (operation) => ({
      ...operation,
      parameters: fields.map((name) => ({
        name,
        in: "query",
        required: false,
        description: fieldDescriptions[name],
        schema: { type: "string" }
      }))
    })
  })
