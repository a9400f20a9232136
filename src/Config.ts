import { fileURLToPath } from "node:url"
import { parseEnv } from "node:util"
import { FileSystem } from "@effect/platform"
import {
  Config,
  ConfigError,
  ConfigProvider,
  Context,
  Duration,
  Effect,
  Either,
  Layer,
  LogLevel,
  Option,
  type Redacted
} from "effect"
import type { ChannelType } from "./domain/Identity.js"

/**
 * Every setting of the service, read once at start-up from the environment with a `.env` file as
 * fallback. `.env.example` lists each variable with its default; keep the two in step.
 */
export interface AppSettings {
  readonly http: {
    readonly host: string
    readonly port: number
    /** When set, every endpoint but `/health` and the docs requires it. */
    readonly webhookToken: Option.Option<Redacted.Redacted>
    readonly requestTimeout: Duration.Duration
  }
  readonly sqlitePath: string
  readonly logLevel: LogLevel.LogLevel
  readonly retailCrm: {
    readonly baseUrl: string
    readonly apiKey: Redacted.Redacted
    readonly site: Option.Option<string>
    readonly timeout: Duration.Duration
    readonly maxRequestsPerSecond: number
    /** How long reference data (order statuses, status groups) and resolved catalogue offers are cached. */
    readonly referenceCacheTtl: Duration.Duration
    /** IANA zone of the `Y-m-d H:i:s` times RetailCRM reads and writes. */
    readonly timeZone: string
    readonly fields: {
      /** Customer custom field holding the bound account id, per channel. */
      readonly binding: Readonly<Record<ChannelType, string>>
      readonly lastVerifiedChannel: string
      readonly lastVerifiedAt: string
      readonly lastVerificationMethod: string
      readonly chatbotInteracted: string
    }
  }
  readonly greenSms: {
    readonly baseUrl: string
    readonly auth:
      | { readonly _tag: "Token"; readonly token: Redacted.Redacted }
      | { readonly _tag: "Password"; readonly user: string; readonly pass: Redacted.Redacted }
    readonly smsFrom: Option.Option<string>
    readonly vkFrom: Option.Option<string>
    /** Seconds; sent on the Telegram route only when set, since no official SDK sends it. */
    readonly telegramTtl: Option.Option<number>
    readonly timeout: Duration.Duration
  }
  readonly deduper: {
    readonly baseUrl: Option.Option<string>
    readonly apiKey: Option.Option<Redacted.Redacted>
    readonly timeout: Duration.Duration
  }
  readonly orders: {
    /** Orders shown by `/orders` when the request has no `limit`; 1 to 5. */
    readonly defaultLimit: number
    /** Page size of the CRM order list the shown orders are picked from: 20, 50 or 100. */
    readonly maxLookback: number
    readonly excludedStatusCodes: ReadonlyArray<string>
    readonly excludedStatusNames: ReadonlyArray<string>
    readonly excludedGroupCodes: ReadonlyArray<string>
    readonly completeGroupCodes: ReadonlyArray<string>
    readonly completeGroupNames: ReadonlyArray<string>
    readonly deliveryGroupCodes: ReadonlyArray<string>
    readonly deliveryGroupNames: ReadonlyArray<string>
    readonly orderType: Option.Option<string>
    readonly orderMethod: Option.Option<string>
    readonly repeatNumberPrefix: string
    readonly repeatNumberSuffix: string
    /** Placeholders: `{sourceOrderNumber}`, `{sourceOrderId}`, `{channelType}`. */
    readonly repeatCommentTemplate: string
    readonly repeatDedupSeconds: number
  }
  readonly recommended: {
    /** JSON file of the recommended sets; by default the one shipped in `config/`. */
    readonly offersPath: string
    /** RetailCRM site of recommended orders and of customers created for them. */
    readonly orderSite: string
    readonly orderStatus: string
  }
  readonly otp: {
    readonly codeLength: number
    readonly hashIterations: number
    readonly pepper: Option.Option<Redacted.Redacted>
    readonly ttlSeconds: number
    readonly maxAttempts: number
    readonly resendCooldownSeconds: number
    readonly maxResends: number
    readonly allowedPhonePrefixes: ReadonlyArray<string>
    readonly sendsPerPhone15Min: number
    readonly sendsPerPhoneHour: number
    readonly sendsPerPhoneDay: number
    readonly sendsPerAccountHour: number
    readonly sendsPerAccountDay: number
    readonly verificationValidDays: number
  }
}

export class AppConfig extends Context.Tag("retailcrm-bot-auth/AppConfig")<AppConfig, AppSettings>() {}

// Setting readers. Each validation names its variable, so one start-up message lists every bad one.

// mapOrFail prefixes the variable's name to the path, so a check on a named setting leaves the path empty.
// It adds the name only when it wraps the variable's own reader, so every default below comes after the check.
const invalid = (message: string) => ConfigError.InvalidData([], message)

const text = (name: string, fallback: string) => Config.string(name).pipe(Config.withDefault(fallback))

const optionalText = (name: string) => Config.option(Config.string(name))

const secret = (name: string) => Config.redacted(name)

const optionalSecret = (name: string) => Config.option(Config.redacted(name))

const rangedInteger = (name: string, min: number, max: number) =>
  Config.integer(name).pipe(
    Config.mapOrFail((value) =>
      value >= min && value <= max
        ? Either.right(value)
        : Either.left(invalid(`must be an integer from ${min} to ${max}, got ${value}`))
    )
  )

const integer = (name: string, fallback: number, min: number, max: number) =>
  rangedInteger(name, min, max).pipe(Config.withDefault(fallback))

const seconds = (name: string, fallback: number) =>
  Config.number(name).pipe(
    Config.mapOrFail((value) =>
      value > 0 && Number.isFinite(value)
        ? Either.right(Duration.seconds(value))
        : Either.left(invalid(`must be a positive number of seconds, got ${value}`))
    ),
    Config.withDefault(Duration.seconds(fallback))
  )

const httpUrl = (name: string) =>
  Config.string(name).pipe(
    Config.mapOrFail((value) => {
      const url = URL.canParse(value) ? new URL(value) : undefined
      return url !== undefined && (url.protocol === "http:" || url.protocol === "https:")
        ? Either.right(value.replace(/\/+$/, ""))
        : Either.left(invalid(`must be an http(s) URL, got "${value}"`))
    })
  )

const timeZone = (name: string, fallback: string) =>
  Config.string(name).pipe(
    Config.mapOrFail((value) => {
      try {
        new Intl.DateTimeFormat("en", { timeZone: value })
        return Either.right(value)
      } catch {
        return Either.left(invalid(`must be an IANA time zone such as Europe/Moscow, got "${value}"`))
      }
    }),
    Config.withDefault(fallback)
  )

const digitPrefixes = (name: string, fallback: ReadonlyArray<string>) =>
  Config.string(name).pipe(
    Config.mapOrFail((value): Either.Either<ReadonlyArray<string>, ConfigError.ConfigError> => {
      const prefixes = value
        .split(",")
        .map((prefix) => prefix.trim().replace(/^\+/, ""))
        .filter((prefix) => prefix !== "")
      return prefixes.length > 0 && prefixes.every((prefix) => /^\d+$/.test(prefix))
        ? Either.right(prefixes)
        : Either.left(invalid(`must be a comma-separated list of digit prefixes such as 7, got "${value}"`))
    }),
    Config.withDefault(fallback)
  )

/** A comma-separated list; blank items are dropped. */
const textList = (name: string, fallback: ReadonlyArray<string>) =>
  Config.string(name).pipe(
    Config.map(
      (value): ReadonlyArray<string> =>
        value
          .split(",")
          .map((item) => item.trim())
          .filter((item) => item !== "")
    ),
    Config.withDefault(fallback)
  )

const pageSizeOf = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.mapOrFail((value) =>
      value === 20 || value === 50 || value === 100
        ? Either.right(value)
        : Either.left(invalid(`must be 20, 50 or 100 (RetailCRM's page sizes), got ${value}`))
    ),
    Config.withDefault(fallback)
  )

const logLevels: Record<string, LogLevel.LogLevel> = {
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warning: LogLevel.Warning,
  warn: LogLevel.Warning,
  error: LogLevel.Error,
  none: LogLevel.None
}

const logLevel = (name: string) =>
  Config.string(name).pipe(
    Config.mapOrFail((value) => {
      const level = logLevels[value.toLowerCase()]
      return level !== undefined
        ? Either.right(level)
        : Either.left(invalid(`must be one of debug, info, warning, error, none, got "${value}"`))
    }),
    Config.withDefault(LogLevel.Info)
  )

const greenSmsAuth = Config.all({
  token: optionalSecret("GREENSMS_TOKEN"),
  user: optionalText("GREENSMS_USER"),
  pass: optionalSecret("GREENSMS_PASS")
}).pipe(
  Config.mapOrFail(({ pass, token, user }): Either.Either<AppSettings["greenSms"]["auth"], ConfigError.ConfigError> => {
    if (Option.isSome(token)) return Either.right({ _tag: "Token", token: token.value })
    if (Option.isSome(user) && Option.isSome(pass)) {
      return Either.right({ _tag: "Password", user: user.value, pass: pass.value })
    }
    return Either.left(
      ConfigError.InvalidData(["GREENSMS_TOKEN"], "is missing (or set both GREENSMS_USER and GREENSMS_PASS)")
    )
  })
)

const settings: Config.Config<AppSettings> = Config.all({
  http: Config.all({
    host: text("APP_HOST", "0.0.0.0"),
    port: integer("APP_PORT", 8000, 1, 65_535),
    webhookToken: optionalSecret("WEBHOOK_TOKEN"),
    requestTimeout: seconds("REQUEST_TIMEOUT_SECONDS", 8)
  }),
  sqlitePath: text("SQLITE_PATH", "./data/auth.db"),
  logLevel: logLevel("LOG_LEVEL"),
  retailCrm: Config.all({
    baseUrl: httpUrl("RETAILCRM_BASE_URL"),
    apiKey: secret("RETAILCRM_API_KEY"),
    site: optionalText("RETAILCRM_SITE"),
    timeout: seconds("RETAILCRM_TIMEOUT_SECONDS", 5),
    maxRequestsPerSecond: integer("RETAILCRM_MAX_RPS", 8, 1, 100),
    referenceCacheTtl: seconds("REFERENCE_CACHE_TTL_SECONDS", 600),
    timeZone: timeZone("RETAILCRM_TIMEZONE", "Europe/Moscow"),
    fields: Config.all({
      binding: Config.all({
        telegram: text("RETAILCRM_CF_TELEGRAM_ID", "bot_telegram_account_id"),
        vk: text("RETAILCRM_CF_VK_ID", "bot_vk_account_id"),
        whatsapp: text("RETAILCRM_CF_WHATSAPP_ID", "bot_whatsapp_account_id"),
        max: text("RETAILCRM_CF_MAX_ID", "bot_max_account_id"),
        instagram: text("RETAILCRM_CF_INSTAGRAM_ID", "bot_instagram_account_id")
      }),
      lastVerifiedChannel: text("RETAILCRM_CF_LAST_VERIFIED_CHANNEL", "bot_last_verified_channel"),
      lastVerifiedAt: text("RETAILCRM_CF_LAST_VERIFIED_AT", "bot_last_verified_at"),
      lastVerificationMethod: text("RETAILCRM_CF_LAST_VERIFICATION_METHOD", "bot_last_verification_method"),
      chatbotInteracted: text("RETAILCRM_CF_CHATBOT_INTERACTED", "chatbot_interacted")
    })
  }),
  greenSms: Config.all({
    baseUrl: httpUrl("GREENSMS_BASE_URL").pipe(Config.withDefault("https://api3.greensms.ru")),
    auth: greenSmsAuth,
    smsFrom: optionalText("GREENSMS_SMS_FROM"),
    vkFrom: optionalText("GREENSMS_VK_FROM"),
    telegramTtl: Config.option(rangedInteger("GREENSMS_TELEGRAM_TTL", 30, 3600)),
    timeout: seconds("GREENSMS_TIMEOUT_SECONDS", 5)
  }),
  deduper: Config.all({
    baseUrl: Config.option(httpUrl("DEDUPE_BASE_URL")),
    apiKey: optionalSecret("DEDUPE_API_KEY"),
    timeout: seconds("DEDUPE_TIMEOUT_SECONDS", 10)
  }),
  orders: Config.all({
    defaultLimit: integer("ORDERS_DEFAULT_LIMIT", 3, 1, 5),
    maxLookback: pageSizeOf("ORDERS_MAX_LOOKBACK", 20),
    excludedStatusCodes: textList("RETAILCRM_ORDER_EXCLUDED_STATUS_CODES", []),
    excludedStatusNames: textList("RETAILCRM_ORDER_EXCLUDED_STATUS_NAMES", []),
    excludedGroupCodes: textList("RETAILCRM_ORDER_EXCLUDED_GROUP_CODES", ["cancel"]),
    completeGroupCodes: textList("RETAILCRM_ORDER_GROUP_COMPLETE_CODES", ["complete"]),
    completeGroupNames: textList("RETAILCRM_ORDER_GROUP_COMPLETE_NAMES", []),
    deliveryGroupCodes: textList("RETAILCRM_ORDER_GROUP_DELIVERY_CODES", ["delivery"]),
    deliveryGroupNames: textList("RETAILCRM_ORDER_GROUP_DELIVERY_NAMES", []),
    orderType: optionalText("RETAILCRM_ORDER_TYPE"),
    orderMethod: optionalText("RETAILCRM_ORDER_METHOD"),
    repeatNumberPrefix: text("REPEAT_ORDER_NUMBER_PREFIX", "CHT"),
    repeatNumberSuffix: text("REPEAT_ORDER_NUMBER_SUFFIX", "-BOT"),
    repeatCommentTemplate: text("REPEAT_ORDER_COMMENT_TEMPLATE", "Повтор заказа {sourceOrderNumber} из чат-бота"),
    repeatDedupSeconds: integer("REPEAT_ORDER_DEDUP_SECONDS", 600, 0, 86_400)
  }),
  recommended: Config.all({
    offersPath: text(
      "RECOMMENDED_OFFERS_PATH",
      fileURLToPath(new URL("../config/recommended-offers.json", import.meta.url))
    ),
    orderSite: text("RECOMMENDED_ORDER_SITE", "1minoxidil-ru"),
    orderStatus: text("RECOMMENDED_ORDER_STATUS", "ruchnaia-obrabotka")
  }),
  otp: Config.all({
    codeLength: integer("OTP_CODE_LENGTH", 6, 4, 8),
    hashIterations: integer("OTP_HASH_ITERATIONS", 100_000, 1, 10_000_000),
    pepper: optionalSecret("OTP_PEPPER"),
    ttlSeconds: integer("OTP_TTL_SECONDS", 300, 1, 86_400),
    maxAttempts: integer("OTP_MAX_ATTEMPTS", 5, 1, 100),
    resendCooldownSeconds: integer("OTP_RESEND_COOLDOWN_SECONDS", 60, 0, 86_400),
    maxResends: integer("OTP_MAX_RESENDS", 3, 0, 100),
    allowedPhonePrefixes: digitPrefixes("OTP_ALLOWED_PHONE_PREFIXES", ["7"]),
    sendsPerPhone15Min: integer("OTP_SENDS_PER_PHONE_15MIN", 3, 1, 10_000),
    sendsPerPhoneHour: integer("OTP_SENDS_PER_PHONE_HOUR", 5, 1, 10_000),
    sendsPerPhoneDay: integer("OTP_SENDS_PER_PHONE_DAY", 10, 1, 10_000),
    sendsPerAccountHour: integer("OTP_SENDS_PER_ACCOUNT_HOUR", 5, 1, 10_000),
    sendsPerAccountDay: integer("OTP_SENDS_PER_ACCOUNT_DAY", 10, 1, 10_000),
    verificationValidDays: integer("VERIFICATION_VALID_DAYS", 365, 1, 36_500)
  })
})

/** Lists each bad variable of a configuration failure on a line of its own. */
export const describeConfigError = (error: ConfigError.ConfigError): string => {
  const problems = ConfigError.reduceWithContext(error, undefined, {
    andCase: (_, left: Array<string>, right: Array<string>) => [...left, ...right],
    orCase: (_, left: Array<string>, right: Array<string>) => [...left, ...right],
    invalidDataCase: (_, path, message) => [`${path.join(".")}: ${message}`],
    missingDataCase: (_, path) => [`${path.join(".")}: is missing`],
    sourceUnavailableCase: (_, path, message) => [`${path.join(".")}: could not be read: ${message}`],
    unsupportedCase: (_, path, message) => [`${path.join(".")}: ${message}`]
  })
  const unique = [...new Set(problems)]
  return `Invalid configuration (${unique.length} problem${unique.length === 1 ? "" : "s"}):\n${unique.map((line) => `  - ${line}`).join("\n")}`
}

export class InvalidConfig extends Error {
  override readonly name = "InvalidConfig"
}

/** Reads the settings from a map of variables, as the environment would provide them. */
export const loadSettings = (variables: Readonly<Record<string, string | undefined>>) => {
  // An empty value (`RETAILCRM_SITE=` in .env) means "not set", so the default or the missing-value error applies.
  const entries = Object.entries(variables).filter(
    (entry): entry is [string, string] => entry[1] !== undefined && entry[1].trim() !== ""
  )
  return Effect.withConfigProvider(settings, ConfigProvider.fromMap(new Map(entries))).pipe(
    Effect.mapError((error) => new InvalidConfig(describeConfigError(error)))
  )
}

/** Settings from `process.env`, with the variables of `.env` (if the file exists) filling the gaps. */
export const AppConfigLive = Layer.effect(
  AppConfig,
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const dotEnv = yield* fs.readFileString(".env").pipe(
      Effect.map((content) => parseEnv(content) as Record<string, string>),
      Effect.catchTag("SystemError", (error) =>
        error.reason === "NotFound"
          ? Effect.succeed({})
          : Effect.fail(new InvalidConfig(`.env could not be read: ${error.message}`))
      ),
      Effect.catchTag("BadArgument", (error) =>
        Effect.fail(new InvalidConfig(`.env could not be read: ${error.message}`))
      )
    )
    return yield* loadSettings({ ...dotEnv, ...process.env })
  })
)

/** Settings for tests and the sandbox: the given variables only, no `.env`, no environment. */
export const appConfigFrom = (variables: Readonly<Record<string, string | undefined>>) =>
  Layer.effect(AppConfig, Effect.orDie(loadSettings(variables)))
