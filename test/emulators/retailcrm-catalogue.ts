import type { RecordedRequest, Reply } from "./http.js"
import type { InputErrors } from "./retailcrm-wire.js"
import { arrayFilterName, crmError, crmReply, paginate, parsePaging } from "./retailcrm-wire.js"

/** A trade offer (a sellable variant of a product) in RetailCRM's v5 shape, reduced to the fields the service reads. */
export interface Offer {
  id: number
  externalId?: string
  xmlId?: string
  article?: string
  name: string
  displayName?: string
  active: boolean
  /** Stock on hand. */
  quantity: number
  /** Price of the base price type. */
  price: number
}

/** A catalogue product in RetailCRM's v5 shape, reduced to the fields the service reads. */
export interface Product {
  id: number
  article?: string
  name: string
  active: boolean
  offers: Offer[]
}

export type OfferInput = Partial<Offer>

export interface ProductInput extends Partial<Omit<Product, "offers">> {
  /** Offers of the product. When omitted, the product gets one offer with its own name and article. */
  offers?: OfferInput[]
}

/** Reference to an offer as order items carry it. The first of `id`, `externalId`, `xmlId` present decides the lookup. */
export interface OfferReference {
  id?: number
  externalId?: string
  xmlId?: string
}

export interface OfferMatch {
  product: Product
  offer: Offer
}

interface ProductFilter {
  matches: (product: Product) => boolean
}

const defaultOfferQuantity = 100
const defaultOfferPrice = 1000

/** The product catalogue of the emulated account. Product ids start at 2001 and offer ids at 3001. */
export class Catalogue {
  readonly #products = new Map<number, Product>()
  #nextProductId = 2001
  #nextOfferId = 3001

  /** Stores a product with its offers and returns a copy. */
  add(input: ProductInput): Product {
    const id = input.id ?? this.#nextProductId
    if (this.#products.has(id))
      throw new Error(`Product ${id} already exists in the emulator: pass another id or none.`)
    const name = input.name ?? `Test product ${id}`
    const offerInputs = input.offers ?? [{ name, ...(input.article === undefined ? {} : { article: input.article }) }]

    let nextOfferId = this.#nextOfferId
    const offers = offerInputs.map((offerInput) => {
      const offer = buildOffer(offerInput, offerInput.id ?? nextOfferId, name)
      nextOfferId = Math.max(nextOfferId, offer.id + 1)
      return offer
    })
    const offerIds = new Set<number>()
    for (const offer of offers) {
      if (offerIds.has(offer.id) || this.findOffer({ id: offer.id }) !== undefined) {
        throw new Error(`Offer ${offer.id} already exists in the emulator: pass another id or none.`)
      }
      offerIds.add(offer.id)
    }

    this.#nextProductId = Math.max(this.#nextProductId, id + 1)
    this.#nextOfferId = nextOfferId
    const product: Product = { active: true, ...input, id, name, offers }
    this.#products.set(id, product)
    return structuredClone(product)
  }

  product(id: number): Product | undefined {
    const product = this.#products.get(id)
    return product === undefined ? undefined : structuredClone(product)
  }

  /** Returns copies of all products in id order. */
  products(): Product[] {
    return this.#sorted().map((product) => structuredClone(product))
  }

  /** Finds an offer by its `id`, else its `externalId`, else its `xmlId`, whichever the reference has first. */
  findOffer(reference: OfferReference): OfferMatch | undefined {
    const matches = offerMatcher(reference)
    if (matches === undefined) return undefined
    for (const product of this.#sorted()) {
      const offer = product.offers.find(matches)
      if (offer !== undefined) return { product, offer }
    }
    return undefined
  }

  /** Serves `GET /api/v5/store/products`. */
  list(request: RecordedRequest): Reply {
    const paging = parsePaging(request.query)
    if ("errors" in paging) return crmError(400, "Errors in the input parameters", paging.errors)
    const filter = parseProductFilter(request.query)
    if ("errors" in filter) return crmError(400, "Errors in the input parameters", filter.errors)

    const matching = this.#sorted().filter((product) => filter.matches(product))
    return crmReply(200, { success: true, ...paginate(matching, paging, "products") })
  }

  #sorted(): Product[] {
    return [...this.#products.values()].sort((left, right) => left.id - right.id)
  }
}

function buildOffer(input: OfferInput, id: number, productName: string): Offer {
  const name = input.name ?? productName
  return {
    displayName: name,
    active: true,
    quantity: defaultOfferQuantity,
    price: defaultOfferPrice,
    ...input,
    id,
    name
  }
}

function offerMatcher(reference: OfferReference): ((offer: Offer) => boolean) | undefined {
  const { id, externalId, xmlId } = reference
  if (id !== undefined) return (offer) => offer.id === id
  if (externalId !== undefined) return (offer) => offer.externalId === externalId
  if (xmlId !== undefined) return (offer) => offer.xmlId === xmlId
  return undefined
}

/** Builds the product filter from `filter[...]` parameters. Unknown filters are rejected, as for customers. */
function parseProductFilter(query: URLSearchParams): ProductFilter | InputErrors {
  const checks: ((product: Product) => boolean)[] = []
  const ids: number[] = []
  const offerIds: number[] = []
  const errors: Record<string, string> = {}

  for (const [key, value] of query) {
    if (!key.startsWith("filter[")) continue
    const arrayKey = arrayFilterName(key)
    if (arrayKey === "ids") {
      ids.push(Number(value))
    } else if (arrayKey === "offerIds") {
      offerIds.push(Number(value))
    } else if (key === "filter[name]") {
      if (value.trim() !== "") checks.push((product) => nameOrArticleMatches(product, value))
    } else if (key === "filter[active]") {
      if (value !== "0" && value !== "1") {
        errors[key] = `The value "${value}" is not valid: use 1 or 0.`
      } else {
        checks.push((product) => product.active === (value === "1"))
      }
    } else if (key === "filter[offerExternalId]") {
      checks.push((product) => product.offers.some((offer) => offer.externalId === value))
    } else if (key === "filter[offerXmlId]") {
      checks.push((product) => product.offers.some((offer) => offer.xmlId === value))
    } else {
      errors[key] = "This filter is not supported."
    }
  }
  if (Object.keys(errors).length > 0) return { errors }

  if (ids.length > 0) checks.push((product) => ids.includes(product.id))
  if (offerIds.length > 0) checks.push((product) => product.offers.some((offer) => offerIds.includes(offer.id)))
  return { matches: (product) => checks.every((check) => check(product)) }
}

/**
 * Matches a case-insensitive substring of the product's name, the product's article or any
 * offer's article.
 * NOTE: guess. RetailCRM documents `filter[name]` only as a partial name match, and whether it
 * also searches articles is unknown, so the service must re-check articles in the reply.
 */
function nameOrArticleMatches(product: Product, query: string): boolean {
  const needle = query.trim().toLowerCase()
  const texts = [product.name, product.article, ...product.offers.map((offer) => offer.article)]
  return texts.some((text) => text?.toLowerCase().includes(needle) === true)
}
