// The contract's example order (number 12345, created 2026-06-01 13:00:00 Moscow time, one item
// "Миноксидил 5%" x1, address "Москва, Тверская", Почта РФ, track TRACK123456, in delivery) and the
// texts the service must produce for it byte for byte.

export const exampleDetailText =
  "Вот этот заказ 👇\n\n12345\n01.06.2026\nВ доставке\n\n• Миноксидил 5% x1\n\nПочта РФ: Москва, Тверская\n\nЧто сделаем?"

export const exampleRepeatConfirmText =
  "Заказ 12345\n\nВот этот заказ 👇\n\n12345\n01.06.2026\n\n🗒️Состав:\n• Миноксидил 5% x1\n\n🚙Доставка:\nМосква, Тверская\n\nУверены, что хотите его повторить?"

export const exampleTrackingText =
  "📬 Ваш заказ уже едет к вам\n\nВот ссылка для отслеживания 👇\nhttps://www.pochta.ru/tracking?barcode=TRACK123456"

export const exampleListText =
  "Твои заказы 👇\n\nМожно отследить текущий заказ или быстро повторить прошлый.\n\n🗒️Номер заказа: 12345\n📆Оформлен: 01.06.2026\n\n🚚 Уже едет к вам\n\n• Миноксидил 5% x1\n\n🚙Москва, Тверская\n🔍Отследить заказ: https://www.pochta.ru/tracking?barcode=TRACK123456"

/** The 18 fields every order of the `/orders` reply has. */
export const orderSummaryFields = [
  "orderNumber",
  "sourceOrderId",
  "sourceOrderNumber",
  "createdAt",
  "createdAtText",
  "itemsText",
  "deliveryAddressText",
  "statusGroup",
  "statusLabel",
  "deliveryCode",
  "trackingCode",
  "trackingUrl",
  "canTrackOnline",
  "detailText",
  "repeatConfirmText",
  "trackingText",
  "trackingNumber",
  "deliveryStatus"
] as const
