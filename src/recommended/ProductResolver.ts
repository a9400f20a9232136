import { Cache, Duration, Effect, Exit, Option } from "effect"
import { AppConfig } from "../Config.js"
import type { CrmError } from "../retailcrm/errors.js"
import type { Product } from "../retailcrm/model.js"
import { RetailCrm } from "../retailcrm/RetailCrm.js"

/** The catalogue offer a recommended set is ordered as. */
export interface ResolvedOffer {
  readonly offerId: string
  readonly productId: string
}

const isActive = (entity: { readonly active?: boolean | null | undefined }) => entity.active !== false

/**
 * Picks the offer for an article. An active offer whose own article equals it exactly wins. A product
 * whose article equals it counts only when it has exactly one active offer. Nothing else matches.
 */
export const pickOffer = (products: ReadonlyArray<Product>, article: string): Option.Option<ResolvedOffer> => {
  const activeProducts = products.filter(isActive)
  for (const product of activeProducts) {
    const offer = (product.offers ?? []).find((candidate) => isActive(candidate) && candidate.article === article)
    if (offer !== undefined) return Option.some({ offerId: offer.id, productId: product.id })
  }
  for (const product of activeProducts) {
    const activeOffers = (product.offers ?? []).filter(isActive)
    const only = activeOffers[0]
    if (product.article === article && activeOffers.length === 1 && only !== undefined) {
      return Option.some({ offerId: only.id, productId: product.id })
    }
  }
  return Option.none()
}

/**
 * Resolves a set's `bundleArticle` to a catalogue offer through `/api/v5/store/products`. Found offers
 * are cached for `REFERENCE_CACHE_TTL_SECONDS`; a miss or a failure is not, so a fixed catalogue shows
 * up on the next request.
 */
export class ProductResolver extends Effect.Service<ProductResolver>()("retailcrm-bot-auth/ProductResolver", {
  scoped: Effect.gen(function* () {
    const crm = yield* RetailCrm
    const { retailCrm: config } = yield* AppConfig

    const cache = yield* Cache.makeWith({
      capacity: 256,
      lookup: (article: string) =>
        Effect.map(crm.findProductsByName(article), (products) => pickOffer(products, article)),
      timeToLive: (exit) =>
        Exit.isSuccess(exit) && Option.isSome(exit.value) ? config.referenceCacheTtl : Duration.zero
    })

    const resolve = (article: string): Effect.Effect<Option.Option<ResolvedOffer>, CrmError> => cache.get(article)

    return { resolve } as const
  })
}) {}
