/**
 * Error codes of the bot endpoints with their fixed Russian messages, and the reply `status` each
 * code produces. BotMarketing flows branch on `status` and may show `message` to the shopper as is,
 * so both the codes and the texts are part of the public contract: change none of them.
 */
export const errorMessages = {
  invalid_request: "Не удалось обработать запрос. Попробуйте ещё раз.",
  unsupported_channel: "Этот мессенджер пока не поддерживается.",
  missing_identity: "Не удалось определить ваш аккаунт в мессенджере.",
  invalid_identity: "Не удалось определить ваш аккаунт в мессенджере.",
  invalid_phone: "Проверьте номер телефона: например, +7 999 123-45-67.",
  unknown_offer: "Этот набор сейчас недоступен.",
  product_not_found: "Этот набор сейчас недоступен. Напишите менеджеру, он подберёт замену.",
  session_not_found: "Код устарел. Запросите новый.",
  session_closed: "Код устарел. Запросите новый.",
  code_invalid: "Неверный код. Проверьте и попробуйте ещё раз.",
  code_expired: "Срок действия кода истёк. Запросите новый.",
  too_many_attempts: "Слишком много попыток. Запросите новый код.",
  resend_too_early: "Новый код можно запросить чуть позже.",
  rate_limited: "Слишком много запросов кода. Попробуйте позже.",
  customer_mismatch: "Не удалось подтвердить аккаунт. Напишите менеджеру.",
  binding_conflict: "Этот аккаунт уже привязан к другому профилю. Напишите менеджеру.",
  order_not_found: "Заказ не найден.",
  item_unavailable: "Один из товаров сейчас недоступен, поэтому повторить заказ не получится.",
  order_create_failed: "Не получилось оформить заказ. Мы уже передали запрос менеджеру.",
  delivery_failed: "Не удалось отправить код. Попробуйте позже.",
  dedupe_failed: "Не удалось отправить код. Напишите менеджеру.",
  crm_unavailable: "Сервис временно недоступен. Попробуйте позже.",
  timeout: "Сервис временно недоступен. Попробуйте позже.",
  internal_error: "Что-то пошло не так. Попробуйте позже."
} as const

export type ErrorCode = keyof typeof errorMessages

export const errorCodes = Object.keys(errorMessages) as ReadonlyArray<ErrorCode>

/** Reply statuses that are not `error`, by the code that produces them; every other code replies `error`. */
const statusByCode: Partial<Record<ErrorCode, string>> = {
  unknown_offer: "unknown_offer",
  code_invalid: "invalid_code",
  code_expired: "expired",
  too_many_attempts: "too_many_attempts",
  resend_too_early: "too_early",
  rate_limited: "rate_limited",
  customer_mismatch: "conflict",
  binding_conflict: "conflict",
  order_not_found: "not_found",
  item_unavailable: "unavailable_item"
}

export const statusForCode = (code: ErrorCode): string => statusByCode[code] ?? "error"
