import type { ChannelType } from "../domain/Identity.js"
import type { NormalizedPhone } from "../domain/Phone.js"
import type { CodeHash } from "./OtpCode.js"

/** Purpose of a session. A code issued for one purpose never works for another. */
export type Purpose = "auth" | "recommended_order"

/** Route a shopper requests. GreenSMS has one send method per route. */
export type DeliveryRoute = "telegram" | "vk" | "sms"

export const deliveryRoutes: ReadonlyArray<DeliveryRoute> = ["telegram", "vk", "sms"]

/** Route that accepted a code, as written to the CRM's `bot_last_verification_method` field. */
export type VerificationMethod = "telegram_otp" | "vk_otp" | "sms_otp"

export const verificationMethod = (route: DeliveryRoute): VerificationMethod => `${route}_otp`

/**
 * Life of a session: `pending` while its first code is being sent, `active` once a code was accepted
 * for delivery, `claimed` while one check with the right code writes to the CRM, then `used`. A newer
 * session of the same owner makes it `superseded`; a binding conflict or a vanished customer `ended`.
 */
export type SessionState = "pending" | "active" | "claimed" | "used" | "superseded" | "ended"

export interface SessionOwner {
  readonly purpose: Purpose
  readonly channelType: ChannelType
  readonly accountId: string
  readonly phone: NormalizedPhone
}

export interface OtpSession extends SessionOwner {
  readonly id: string
  readonly chatExternalId: string | null
  /** CRM customer the code verifies; `null` for a fake session, or when the customer is created after the check. */
  readonly customerId: string | null
  /** Whether this is a fake session, made for a phone with no customer: no code was sent and none matches. */
  readonly isFake: boolean
  readonly requestedRoute: DeliveryRoute
  readonly route: VerificationMethod | null
  readonly code: CodeHash
  readonly state: SessionState
  readonly attempts: number
  readonly resends: number
  /** Unix milliseconds, as every time below. */
  readonly createdAt: number
  readonly sentAt: number | null
  readonly expiresAt: number
  readonly claimedAt: number | null
  /** Feature-specific JSON, such as the offer and recipient of a recommended order. */
  readonly details: string | null
}
