import { FileSystem } from "@effect/platform"
import { Effect, Either, ParseResult, Schema } from "effect"
import { AppConfig, InvalidConfig } from "../Config.js"

const Text = Schema.Trim.pipe(Schema.nonEmptyString({ message: () => "must be a non-empty string" }))

/** One recommended set: the bot names it by `offerCode`, RetailCRM by the article of its catalogue offer. */
export const RecommendedOffer = Schema.Struct({
  offerCode: Text.pipe(
    Schema.pattern(/^[A-Za-z0-9_-]{1,64}$/, { message: () => "must be 1 to 64 letters, digits, _ or -" })
  ),
  bundleArticle: Text,
  title: Text,
  components: Schema.Array(Text).pipe(Schema.minItems(1, { message: () => "must list at least one component" }))
})

export type RecommendedOffer = typeof RecommendedOffer.Type

const CatalogueFile = Schema.Struct({
  offers: Schema.Array(RecommendedOffer).pipe(Schema.minItems(1, { message: () => "must list at least one set" }))
})

/** Describes each problem of the file by its path, e.g. `offers[2].title: must be a non-empty string`. */
const describeIssues = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => {
      const path = issue.path.map((key) => (typeof key === "number" ? `[${key}]` : `.${String(key)}`)).join("")
      return `  - ${path === "" ? "(file)" : path.replace(/^\./, "")}: ${issue.message}`
    })
    .join("\n")

/** Parses and validates the catalogue file's text; `source` names the file in error messages. */
export const parseCatalogue = (
  text: string,
  source: string
): Either.Either<ReadonlyArray<RecommendedOffer>, InvalidConfig> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return Either.left(
      new InvalidConfig(`Invalid recommended sets file ${source}: not JSON (${(error as Error).message})`)
    )
  }
  const decoded = Schema.decodeUnknownEither(CatalogueFile, { errors: "all", onExcessProperty: "error" })(json)
  if (Either.isLeft(decoded)) {
    return Either.left(new InvalidConfig(`Invalid recommended sets file ${source}:\n${describeIssues(decoded.left)}`))
  }
  const seen = new Set<string>()
  for (const [index, offer] of decoded.right.offers.entries()) {
    if (seen.has(offer.offerCode)) {
      return Either.left(
        new InvalidConfig(
          `Invalid recommended sets file ${source}:\n  - offers[${index}].offerCode: "${offer.offerCode}" is listed twice`
        )
      )
    }
    seen.add(offer.offerCode)
  }
  return Either.right(decoded.right.offers)
}

/**
 * The recommended sets the bot may offer, read from `RECOMMENDED_OFFERS_PATH` once at start-up. A missing
 * or invalid file stops the start with a message naming the bad entry.
 */
export class OfferCatalogue extends Effect.Service<OfferCatalogue>()("retailcrm-bot-auth/OfferCatalogue", {
  effect: Effect.gen(function* () {
    const { recommended } = yield* AppConfig
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs
      .readFileString(recommended.offersPath)
      .pipe(
        Effect.mapError(
          (error) =>
            new InvalidConfig(`RECOMMENDED_OFFERS_PATH: could not read ${recommended.offersPath}: ${error.message}`)
        )
      )
    const offers = yield* parseCatalogue(text, recommended.offersPath)
    const byCode = new Map(offers.map((offer) => [offer.offerCode, offer]))
    yield* Effect.logInfo("Recommended sets loaded").pipe(
      Effect.annotateLogs({
        path: recommended.offersPath,
        offerCodes: offers.map((offer) => offer.offerCode).join(",")
      })
    )

    const find = (offerCode: string) => byCode.get(offerCode)

    return { find, offers } as const
  })
}) {}
