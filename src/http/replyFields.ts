import { Schema } from "effect"
import { errorCodes } from "../domain/ErrorCode.js"

// Field schemas shared by the reply schemas of every endpoint group.

export const ErrorCodeField = Schema.NullOr(Schema.Literal(...errorCodes)).annotations({
  description: "Set for every status but the normal outcomes."
})

export const MessageField = Schema.NullOr(Schema.String).annotations({
  description: "Russian text for the shopper, fixed per errorCode."
})

export const IdField = Schema.NullOr(Schema.String)

export const TextField = Schema.NullOr(Schema.String)

export const MaskedPhoneField = Schema.NullOr(Schema.String).annotations({
  description: "Phone masked as +7 999 ***-**-67."
})
