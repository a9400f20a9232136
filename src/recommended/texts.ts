import type { RecommendedOffer } from "./OfferCatalogue.js"

/** The preview of a set: its title, the components as a list, and the question. */
export const previewText = (offer: RecommendedOffer): string =>
  `${offer.title}\n\nВ наборе:\n${offer.components.map((component) => `• ${component}`).join("\n")}\n\nОформляем заказ?`

/** The manager-facing comment of a recommended order. */
export const recommendedOrderComment = (offerCode: string): string =>
  `Заказ создан чат-ботом по рекомендации: ${offerCode}`
