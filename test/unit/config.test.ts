import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, LogLevel, Option } from "effect"
import { loadSettings } from "../../src/Config.js"

const required = {
  RETAILCRM_BASE_URL: "http://127.0.0.1:9/",
  RETAILCRM_API_KEY: "test-crm-key",
  GREENSMS_TOKEN: "test-greensms-token"
}

const failureOf = (variables: Record<string, string | undefined>) =>
  Effect.map(Effect.flip(loadSettings(variables)), (error) => error.message)

describe("loadSettings defaults", () => {
  it.effect("fills the HTTP settings", () =>
    Effect.gen(function* () {
      const { http, logLevel, sqlitePath } = yield* loadSettings(required)

      expect(http.host).toBe("0.0.0.0")
      expect(http.port).toBe(8000)
      expect(Option.isNone(http.webhookToken)).toBe(true)
      expect(Duration.toSeconds(http.requestTimeout)).toBe(8)
      expect(sqlitePath).toBe("./data/auth.db")
      expect(logLevel).toBe(LogLevel.Info)
    })
  )

  it.effect("fills the RetailCRM settings", () =>
    Effect.gen(function* () {
      const { retailCrm } = yield* loadSettings(required)

      expect(retailCrm.baseUrl).toBe("http://127.0.0.1:9")
      expect(Option.isNone(retailCrm.site)).toBe(true)
      expect(Duration.toSeconds(retailCrm.timeout)).toBe(5)
      expect(retailCrm.maxRequestsPerSecond).toBe(8)
      expect(retailCrm.timeZone).toBe("Europe/Moscow")
    })
  )

  it.effect("fills the field codes", () =>
    Effect.gen(function* () {
      const { fields } = (yield* loadSettings(required)).retailCrm

      expect(fields.binding).toEqual({
        telegram: "bot_telegram_account_id",
        vk: "bot_vk_account_id",
        whatsapp: "bot_whatsapp_account_id",
        max: "bot_max_account_id",
        instagram: "bot_instagram_account_id"
      })
      expect(fields.lastVerifiedChannel).toBe("bot_last_verified_channel")
      expect(fields.lastVerifiedAt).toBe("bot_last_verified_at")
      expect(fields.lastVerificationMethod).toBe("bot_last_verification_method")
      expect(fields.chatbotInteracted).toBe("chatbot_interacted")
    })
  )

  it.effect("fills the upstream settings", () =>
    Effect.gen(function* () {
      const { deduper, greenSms } = yield* loadSettings(required)

      expect(greenSms.baseUrl).toBe("https://api3.greensms.ru")
      expect(Option.isNone(greenSms.telegramTtl)).toBe(true)
      expect(Duration.toSeconds(greenSms.timeout)).toBe(5)
      expect(Option.isNone(deduper.baseUrl)).toBe(true)
      expect(Duration.toSeconds(deduper.timeout)).toBe(10)
    })
  )

  it.effect("fills the OTP settings", () =>
    Effect.gen(function* () {
      const { otp } = yield* loadSettings(required)

      expect(otp.codeLength).toBe(6)
      expect(otp.hashIterations).toBe(100_000)
      expect(Option.isNone(otp.pepper)).toBe(true)
      expect(otp.ttlSeconds).toBe(300)
      expect(otp.maxAttempts).toBe(5)
      expect(otp.resendCooldownSeconds).toBe(60)
      expect(otp.maxResends).toBe(3)
      expect(otp.allowedPhonePrefixes).toEqual(["7"])
      expect(otp.sendsPerPhone15Min).toBe(3)
      expect(otp.sendsPerPhoneHour).toBe(5)
      expect(otp.sendsPerPhoneDay).toBe(10)
      expect(otp.sendsPerAccountHour).toBe(5)
      expect(otp.sendsPerAccountDay).toBe(10)
      expect(otp.verificationValidDays).toBe(365)
    })
  )

  it.effect("reads set values", () =>
    Effect.gen(function* () {
      const settings = yield* loadSettings({
        ...required,
        APP_PORT: "8081",
        OTP_CODE_LENGTH: "4",
        OTP_ALLOWED_PHONE_PREFIXES: "+7, 375",
        LOG_LEVEL: "WARNING",
        RETAILCRM_TIMEZONE: "Asia/Vladivostok"
      })

      expect(settings.http.port).toBe(8081)
      expect(settings.otp.codeLength).toBe(4)
      expect(settings.otp.allowedPhonePrefixes).toEqual(["7", "375"])
      expect(settings.logLevel).toBe(LogLevel.Warning)
      expect(settings.retailCrm.timeZone).toBe("Asia/Vladivostok")
    })
  )
})

describe("loadSettings errors", () => {
  it.effect("names every bad variable", () =>
    Effect.gen(function* () {
      const message = yield* failureOf({
        APP_PORT: "eighty",
        OTP_CODE_LENGTH: "9",
        LOG_LEVEL: "loud",
        RETAILCRM_TIMEZONE: "Mars/Olympus",
        OTP_ALLOWED_PHONE_PREFIXES: "seven",
        REQUEST_TIMEOUT_SECONDS: "0",
        RETAILCRM_TIMEOUT_SECONDS: "soon",
        GREENSMS_BASE_URL: "api3.greensms.ru",
        DEDUPE_BASE_URL: "ftp://127.0.0.1"
      })

      expect(message).toContain("APP_PORT")
      expect(message).toContain("OTP_CODE_LENGTH")
      expect(message).toContain("LOG_LEVEL")
      expect(message).toContain("RETAILCRM_TIMEZONE")
      expect(message).toContain("OTP_ALLOWED_PHONE_PREFIXES")
      expect(message).toContain("REQUEST_TIMEOUT_SECONDS")
      expect(message).toContain("RETAILCRM_TIMEOUT_SECONDS")
      expect(message).toContain("GREENSMS_BASE_URL")
      expect(message).toContain("DEDUPE_BASE_URL")
      expect(message).toContain("RETAILCRM_BASE_URL")
      expect(message).toContain("RETAILCRM_API_KEY")
      expect(message).toContain("GREENSMS_TOKEN")
    })
  )

  it.effect("puts each problem on a line", () =>
    Effect.gen(function* () {
      const message = yield* failureOf({ ...required, APP_PORT: "eighty", OTP_CODE_LENGTH: "3" })
      const lines = message.split("\n")

      expect(lines[0]).toBe("Invalid configuration (2 problems):")
      expect(lines.filter((line) => line.startsWith("  - "))).toHaveLength(2)
    })
  )

  it.effect("names a defaulted setting", () =>
    Effect.gen(function* () {
      const message = yield* failureOf({ ...required, REQUEST_TIMEOUT_SECONDS: "0", LOG_LEVEL: "loud" })

      expect(message).toContain("REQUEST_TIMEOUT_SECONDS: must be a positive number of seconds, got 0")
      expect(message).toContain('LOG_LEVEL: must be one of debug, info, warning, error, none, got "loud"')
    })
  )

  it.effect("rejects a non-HTTP URL", () =>
    Effect.gen(function* () {
      const message = yield* failureOf({ ...required, RETAILCRM_BASE_URL: "ftp://127.0.0.1/" })

      expect(message).toContain('RETAILCRM_BASE_URL: must be an http(s) URL, got "ftp://127.0.0.1/"')
    })
  )

  for (const length of ["3", "9"]) {
    it.effect(`rejects code length ${length}`, () =>
      Effect.gen(function* () {
        const message = yield* failureOf({ ...required, OTP_CODE_LENGTH: length })

        expect(message).toContain(`OTP_CODE_LENGTH: must be an integer from 4 to 8, got ${length}`)
      })
    )
  }
})

describe("GreenSMS auth", () => {
  const base = { RETAILCRM_BASE_URL: required.RETAILCRM_BASE_URL, RETAILCRM_API_KEY: required.RETAILCRM_API_KEY }

  it.effect("accepts a token", () =>
    Effect.gen(function* () {
      const { greenSms } = yield* loadSettings({ ...base, GREENSMS_TOKEN: "test-greensms-token" })

      expect(greenSms.auth._tag).toBe("Token")
    })
  )

  it.effect("accepts user and password", () =>
    Effect.gen(function* () {
      const { greenSms } = yield* loadSettings({ ...base, GREENSMS_USER: "shop", GREENSMS_PASS: "test-pass" })

      expect(greenSms.auth._tag).toBe("Password")
      expect(greenSms.auth._tag === "Password" ? greenSms.auth.user : undefined).toBe("shop")
    })
  )

  it.effect("prefers the token", () =>
    Effect.gen(function* () {
      const { greenSms } = yield* loadSettings({
        ...base,
        GREENSMS_TOKEN: "test-greensms-token",
        GREENSMS_USER: "shop",
        GREENSMS_PASS: "test-pass"
      })

      expect(greenSms.auth._tag).toBe("Token")
    })
  )

  it.effect("rejects a user without password", () =>
    Effect.gen(function* () {
      const message = yield* failureOf({ ...base, GREENSMS_USER: "shop" })

      expect(message).toContain("GREENSMS_TOKEN: is missing (or set both GREENSMS_USER and GREENSMS_PASS)")
    })
  )

  it.effect("rejects a password without user", () =>
    Effect.gen(function* () {
      const message = yield* failureOf({ ...base, GREENSMS_PASS: "test-pass" })

      expect(message).toContain("GREENSMS_TOKEN")
    })
  )

  it.effect("rejects no credentials", () =>
    Effect.gen(function* () {
      const message = yield* failureOf(base)

      expect(message).toContain("GREENSMS_TOKEN")
    })
  )
})

describe("settings secrets", () => {
  const secrets = {
    RETAILCRM_API_KEY: "test-crm-key",
    GREENSMS_PASS: "test-greensms-pass",
    DEDUPE_API_KEY: "test-dedupe-key",
    OTP_PEPPER: "test-otp-pepper",
    WEBHOOK_TOKEN: "test-webhook-token"
  }

  it.effect("redacts secrets in JSON", () =>
    Effect.gen(function* () {
      const settings = yield* loadSettings({
        ...secrets,
        RETAILCRM_BASE_URL: "http://127.0.0.1:9",
        GREENSMS_USER: "shop",
        DEDUPE_BASE_URL: "http://127.0.0.1:10"
      })
      const json = JSON.stringify(settings)

      for (const value of Object.values(secrets)) {
        expect(json).not.toContain(value)
      }
      expect(json).toContain("<redacted>")
    })
  )

  it.effect("redacts the GreenSMS token", () =>
    Effect.gen(function* () {
      const json = JSON.stringify(yield* loadSettings(required))

      expect(json).not.toContain("test-greensms-token")
      expect(json).not.toContain("test-crm-key")
    })
  )

  it.effect("keeps secrets out of errors", () =>
    Effect.gen(function* () {
      const message = yield* failureOf({ ...secrets, APP_PORT: "eighty" })

      for (const value of Object.values(secrets)) {
        expect(message).not.toContain(value)
      }
    })
  )
})
