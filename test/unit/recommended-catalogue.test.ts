import { readFileSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { Either, Option } from "effect"
import type { RecommendedOffer } from "../../src/recommended/OfferCatalogue.js"
import { parseCatalogue } from "../../src/recommended/OfferCatalogue.js"
import { pickOffer } from "../../src/recommended/ProductResolver.js"
import type { Product } from "../../src/retailcrm/model.js"
import { tempDatabase } from "../support/client.js"
import { Stack } from "../support/stack.js"

const shippedPath = join(dirname(fileURLToPath(import.meta.url)), "../../config/recommended-offers.json")

const basicSet = {
  offerCode: "test_set_one",
  bundleArticle: "SET-TEST-1",
  title: "Тестовый набор",
  components: ["Компонент один", "Компонент два"]
}

const secondSet = {
  offerCode: "test-set-2",
  bundleArticle: "SET-TEST-2",
  title: "Второй тестовый набор",
  components: ["Компонент три"]
}

const parse = (value: unknown) => parseCatalogue(JSON.stringify(value), "sets.json")

/** Returns the offers of a file the test expects to be valid, and throws the parser's message otherwise. */
const offersOf = (value: unknown): ReadonlyArray<RecommendedOffer> =>
  Either.getOrElse(parse(value), (error) => {
    throw new Error(`expected a valid catalogue, got: ${error.message}`)
  })

/** Returns the rejection message for a file the test expects to be rejected. */
const problemOf = (value: unknown): string =>
  Either.match(parse(value), {
    onLeft: (error) => error.message,
    onRight: () => "the file was accepted"
  })

describe("parseCatalogue", () => {
  it("reads a valid file", () => {
    const offers = offersOf({ offers: [basicSet, secondSet] })

    expect(offers).toEqual([basicSet, secondSet])
  })

  it("trims the texts", () => {
    const offers = offersOf({ offers: [{ ...basicSet, title: "  Тестовый набор  ", components: [" Компонент "] }] })

    expect(offers[0]?.title).toBe("Тестовый набор")
    expect(offers[0]?.components).toEqual(["Компонент"])
  })

  it("accepts the shipped file", () => {
    const text = readFileSync(shippedPath, "utf8")
    const parsed = parseCatalogue(text, shippedPath)

    expect(Either.isRight(parsed)).toBe(true)
    const codes = Either.getOrElse(parsed, () => []).map((offer) => offer.offerCode)
    expect(codes).toContain("male_hairloss_basic")
  })

  it("maps the shipped basic set to SET-M-BASIC", () => {
    const offers = Either.getOrElse(parseCatalogue(readFileSync(shippedPath, "utf8"), shippedPath), () => [])
    const basic = offers.find((offer) => offer.offerCode === "male_hairloss_basic")

    expect(basic?.bundleArticle).toBe("SET-M-BASIC")
    expect(basic?.components.length).toBeGreaterThan(0)
  })

  it("rejects text that is not JSON", () => {
    const parsed = parseCatalogue("{ offers: [", "sets.json")
    const message = Either.match(parsed, { onLeft: (error) => error.message, onRight: () => "" })

    expect(Either.isLeft(parsed)).toBe(true)
    expect(message).toContain("sets.json")
    expect(message).toContain("not JSON")
  })

  it("rejects a missing title", () => {
    const { title: _title, ...withoutTitle } = secondSet
    const message = problemOf({ offers: [basicSet, withoutTitle] })

    expect(message).toContain("sets.json")
    expect(message).toContain("offers[1].title: is missing")
  })

  it("rejects an empty title", () => {
    const message = problemOf({ offers: [basicSet, { ...secondSet, title: "" }] })

    expect(message).toContain("offers[1].title: must be a non-empty string")
  })

  it("rejects a blank bundleArticle", () => {
    const message = problemOf({ offers: [{ ...basicSet, bundleArticle: "   " }] })

    expect(message).toContain("offers[0].bundleArticle: must be a non-empty string")
  })

  it("rejects a missing offerCode", () => {
    const { offerCode: _offerCode, ...withoutCode } = secondSet
    const message = problemOf({ offers: [basicSet, withoutCode] })

    expect(message).toContain("offers[1].offerCode: is missing")
  })

  it("rejects empty components", () => {
    const message = problemOf({ offers: [basicSet, { ...secondSet, components: [] }] })

    expect(message).toContain("offers[1].components: must list at least one component")
  })

  it("rejects an empty component", () => {
    const message = problemOf({ offers: [{ ...basicSet, components: ["Компонент один", ""] }] })

    expect(message).toContain("offers[0].components[1]: must be a non-empty string")
  })

  it("rejects a component that is not text", () => {
    const message = problemOf({ offers: [{ ...basicSet, components: [42] }] })

    expect(message).toContain("offers[0].components[0]")
  })

  it("rejects an unknown field", () => {
    const message = problemOf({ offers: [basicSet, { ...secondSet, price: 100 }] })

    expect(message).toContain("offers[1].price: is unexpected")
  })

  it("rejects an unknown top-level field", () => {
    const message = problemOf({ offers: [basicSet], version: 2 })

    expect(message).toContain("version: is unexpected")
  })

  it("rejects a duplicate offerCode", () => {
    const message = problemOf({ offers: [basicSet, secondSet, { ...secondSet, bundleArticle: "SET-TEST-3" }] })

    expect(message).toContain('offers[2].offerCode: "test-set-2" is listed twice')
  })

  for (const offerCode of ["set one", "набор", "set/1", "set.1", "a".repeat(65)]) {
    it(`rejects the offerCode ${offerCode.slice(0, 12)}`, () => {
      const message = problemOf({ offers: [basicSet, { ...secondSet, offerCode }] })

      expect(message).toContain("offers[1].offerCode: must be 1 to 64 letters, digits, _ or -")
    })
  }

  it("rejects empty offers", () => {
    const message = problemOf({ offers: [] })

    expect(message).toContain("offers: must list at least one set")
  })

  it("rejects a file without offers", () => {
    const message = problemOf({ sets: [basicSet] })

    expect(message).toContain("offers: is missing")
  })

  it("lists every bad entry", () => {
    const message = problemOf({
      offers: [
        { ...basicSet, title: "" },
        { ...secondSet, components: [] }
      ]
    })

    expect(message).toContain("offers[0].title")
    expect(message).toContain("offers[1].components")
  })
})

const article = "SET-TEST-1"

const product = (id: string, fields: Partial<Product> = {}): Product => ({
  id,
  name: `Тестовый товар ${id}`,
  active: true,
  offers: [],
  ...fields
})

const offer = (id: string, offerArticle: string | undefined, active = true) => ({
  id,
  name: `Тестовое предложение ${id}`,
  active,
  ...(offerArticle === undefined ? {} : { article: offerArticle })
})

const picked = (products: ReadonlyArray<Product>) =>
  Option.getOrUndefined(Option.map(pickOffer(products, article), (found) => found.offerId))

describe("pickOffer", () => {
  it("picks the offer with the exact article", () => {
    const products = [product("1", { offers: [offer("11", "SET-OTHER"), offer("12", article)] })]

    expect(pickOffer(products, article)).toEqual(Option.some({ offerId: "12", productId: "1" }))
  })

  it("prefers an offer article to a product article", () => {
    const products = [
      product("1", { article, offers: [offer("11", "SET-OTHER")] }),
      product("2", { offers: [offer("21", article)] })
    ]

    expect(picked(products)).toBe("21")
  })

  it("skips an inactive offer", () => {
    const products = [product("1", { offers: [offer("11", article, false), offer("12", article)] })]

    expect(picked(products)).toBe("12")
  })

  it("finds nothing when the offer is inactive", () => {
    const products = [product("1", { offers: [offer("11", article, false)] })]

    expect(picked(products)).toBeUndefined()
  })

  it("takes the only active offer of a matching product", () => {
    const products = [product("1", { article, offers: [offer("11", undefined), offer("12", "SET-OLD", false)] })]

    expect(pickOffer(products, article)).toEqual(Option.some({ offerId: "11", productId: "1" }))
  })

  it("refuses a matching product with two active offers", () => {
    const products = [product("1", { article, offers: [offer("11", "SET-SIZE-S"), offer("12", "SET-SIZE-L")] })]

    expect(picked(products)).toBeUndefined()
  })

  it("refuses a matching product without active offers", () => {
    const products = [product("1", { article, offers: [offer("11", undefined, false)] })]

    expect(picked(products)).toBeUndefined()
  })

  it("refuses a matching product without offers", () => {
    const products = [product("1", { article, offers: null })]

    expect(picked(products)).toBeUndefined()
  })

  for (const near of ["SET-TEST-10", "XSET-TEST-1", "SET-TEST", "set-test-1", " SET-TEST-1"]) {
    it(`ignores the partial match ${near.trim() === near ? near : "with a space"}`, () => {
      const products = [product("1", { article: near, offers: [offer("11", near)] })]

      expect(picked(products)).toBeUndefined()
    })
  }

  it("skips an inactive product", () => {
    const products = [
      product("1", { active: false, offers: [offer("11", article)] }),
      product("2", { active: false, article, offers: [offer("21", undefined)] })
    ]

    expect(picked(products)).toBeUndefined()
  })

  it("takes an active product after an inactive one", () => {
    const products = [
      product("1", { active: false, offers: [offer("11", article)] }),
      product("2", { offers: [offer("21", article)] })
    ]

    expect(picked(products)).toBe("21")
  })

  it("finds nothing in an empty list", () => {
    expect(picked([])).toBeUndefined()
  })
})

describe("service start-up with a bad catalogue", () => {
  it("stops with the bad entry named", async () => {
    const path = join(dirname(tempDatabase()), "recommended-offers.json")
    writeFileSync(path, JSON.stringify({ offers: [basicSet, { ...secondSet, title: "" }] }))

    const failure = await Stack.start({ sqlitePath: tempDatabase(), env: { RECOMMENDED_OFFERS_PATH: path } }).then(
      async (stack) => {
        await stack.close()
        return "the service started"
      },
      (error: unknown) => String(error)
    )

    expect(failure).toContain(path)
    expect(failure).toContain("offers[1].title: must be a non-empty string")
  })

  it("stops when the file is missing", async () => {
    const path = join(dirname(tempDatabase()), "missing.json")

    const failure = await Stack.start({ sqlitePath: tempDatabase(), env: { RECOMMENDED_OFFERS_PATH: path } }).then(
      async (stack) => {
        await stack.close()
        return "the service started"
      },
      (error: unknown) => String(error)
    )

    expect(failure).toContain("RECOMMENDED_OFFERS_PATH")
    expect(failure).toContain(path)
  })
})
