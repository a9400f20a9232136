import type { StatusGroup } from "./OrderView.js"

// Russian texts of the order replies. They are part of the bot's contract and must match byte for byte.

export const statusLabels: Readonly<Record<StatusGroup, string>> = {
  assembling: "Собирается",
  delivery: "В доставке",
  complete: "Выполнен"
}

export const listStatusLines: Readonly<Record<StatusGroup, string>> = {
  assembling: "📦 Собираем заказ",
  delivery: "🚚 Уже едет к вам",
  complete: "✅ Заказ выполнен"
}

export const listHeader = "Твои заказы 👇\n\nМожно отследить текущий заказ или быстро повторить прошлый."

export const emptyListText = "У вас пока нет заказов."

export const detailIntro = "Вот этот заказ 👇"

export const detailQuestion = "Что сделаем?"

export const repeatQuestion = "Уверены, что хотите его повторить?"

export const trackingIntro = "📬 Ваш заказ уже едет к вам\n\nВот ссылка для отслеживания 👇"

/** The reply to a created order, repeated or recommended. */
export const orderCreatedText = (orderNumber: string) =>
  `Заказ оформлен! 👍\n\nНомер вашего заказа: ${orderNumber}\n\nПока что мы не можем оформить оплату через бота, поэтому придётся подключить менеджера. Уже спешим на помощь! 🦸\n\nА если хотите что-то поменять, то можете пока написать, что нужно скорректировать, мы обязательно поможем.`

/** The manager hand-off after an order could not be created twice. */
export const orderHandOffText =
  "Не получилось оформить заказ автоматически. Мы уже передали запрос менеджеру — он скоро свяжется с вами."

// NOTE: the contract names no text for an item without any name; this placeholder is a choice of ours.
export const unnamedItem = "Товар"
