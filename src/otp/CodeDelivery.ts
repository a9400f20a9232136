import { Clock, Duration, Effect, Option, Random } from "effect"
import { AppConfig } from "../Config.js"
import type { NormalizedPhone } from "../domain/Phone.js"
import { maskPhone } from "../domain/Phone.js"
import { GreenSms } from "../greensms/GreenSms.js"
import type { DeliveryRoute, VerificationMethod } from "./OtpSession.js"
import { verificationMethod } from "./OtpSession.js"

/** Telegram's gateway takes only the bare code (4 to 8 digits); SMS and VK carry a sentence. */
const messageText = (route: DeliveryRoute, code: string): string =>
  route === "telegram" ? code : `Код подтверждения: ${code}. Никому его не сообщайте.`

// Until real sends were timed, a fake send waits this long (a guess at GreenSMS's usual reply time).
const initialLatencyMillis = 300

// Weight of the newest real send in the moving average of send latency.
const smoothing = 0.2

/**
 * Sends codes through GreenSMS, falling back to SMS when Telegram or VK fails synchronously. For fake
 * sessions it imitates a send, waiting about as long as recent real sends took, so that a phone that is
 * not a customer's is not visibly faster.
 */
export class CodeDelivery extends Effect.Service<CodeDelivery>()("retailcrm-bot-auth/CodeDelivery", {
  effect: Effect.gen(function* () {
    const greenSms = yield* GreenSms
    const { greenSms: greenSmsConfig } = yield* AppConfig
    // GreenSMS requires a sender on the VK route, so without one a VK send would fail every time.
    const usableRoute = (route: DeliveryRoute): DeliveryRoute =>
      route === "vk" && Option.isNone(greenSmsConfig.vkFrom) ? "sms" : route
    let averageLatency = initialLatencyMillis

    const timed = <A, E, R>(self: Effect.Effect<A, E, R>) =>
      Effect.gen(function* () {
        const started = yield* Clock.currentTimeMillis
        const result = yield* self
        const took = (yield* Clock.currentTimeMillis) - started
        averageLatency = averageLatency * (1 - smoothing) + took * smoothing
        return result
      })

    /** Sends the code and returns the route that accepted it; fails with the last route's failure. */
    const deliver = (requested: DeliveryRoute, phone: NormalizedPhone, code: string, sessionId: string) => {
      const route = usableRoute(requested)
      return timed(
        greenSms.send(route, phone, messageText(route, code)).pipe(
          Effect.as(verificationMethod(route)),
          Effect.catchAll((failure) =>
            route === "sms"
              ? Effect.fail(failure)
              : Effect.logWarning("Code delivery falls back to SMS").pipe(
                  Effect.annotateLogs({ sessionId, route, phone: maskPhone(phone) }),
                  Effect.zipRight(greenSms.send("sms", phone, messageText("sms", code))),
                  Effect.as<VerificationMethod>("sms_otp")
                )
          )
        )
      )
    }

    /** Waits like a real send would, with ±20% jitter, and claims the requested route accepted it. */
    const imitate = (requested: DeliveryRoute) =>
      Effect.gen(function* () {
        const jitter = 0.8 + (yield* Random.next) * 0.4
        yield* Effect.sleep(Duration.millis(Math.round(averageLatency * jitter)))
        return verificationMethod(usableRoute(requested))
      })

    return { deliver, imitate } as const
  })
}) {}
