import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import type { StatusGroup } from "../../src/orders/OrderView.js"
import { renderOrder, renderOrderList } from "../../src/orders/OrderView.js"
import { Order } from "../../src/retailcrm/model.js"
import {
  exampleDetailText,
  exampleListText,
  exampleRepeatConfirmText,
  exampleTrackingText,
  orderSummaryFields
} from "../support/exampleOrder.js"

const moscow = "Europe/Moscow"

const decodeOrder = Schema.decodeUnknownSync(Order)

const pochtaUrl = "https://www.pochta.ru/tracking?barcode=TRACK123456"
const address = { text: "Москва, Тверская" }

/** Builds the example order as RetailCRM sends it. Each field in `changes` replaces a whole top-level field. */
const exampleWire = (changes: Record<string, unknown> = {}) => ({
  id: 5001,
  number: "12345",
  createdAt: "2026-06-01 13:00:00",
  status: "delivering",
  customer: { id: 1001 },
  items: [{ quantity: 1, offer: { id: 3001, name: "Миноксидил 5%", displayName: "Миноксидил 5%" } }],
  delivery: { code: "pr-rs", address, data: { trackNumber: "TRACK123456" } },
  ...changes
})

const render = (wire: unknown, group: StatusGroup = "delivery") => renderOrder(decodeOrder(wire), group, moscow)

const renderWithDelivery = (delivery: unknown, group: StatusGroup = "delivery") =>
  render(exampleWire({ delivery }), group)

const listTextOf = (wire: unknown, group: StatusGroup = "delivery") => renderOrderList([render(wire, group)])

const codePoints = (text: string | null) => [...(text ?? "")].map((char) => char.codePointAt(0)?.toString(16))

describe("example order", () => {
  const view = render(exampleWire())

  it("renders detailText", () => {
    expect(view.detailText).toBe(exampleDetailText)
  })

  it("renders repeatConfirmText", () => {
    expect(view.repeatConfirmText).toBe(exampleRepeatConfirmText)
  })

  it("renders trackingText", () => {
    expect(view.trackingText).toBe(exampleTrackingText)
  })

  it("renders the list text", () => {
    expect(renderOrderList([view])).toBe(exampleListText)
  })

  it("keeps emoji code points", () => {
    expect(codePoints(view.repeatConfirmText)).toEqual(codePoints(exampleRepeatConfirmText))
    expect(codePoints(renderOrderList([view]))).toEqual(codePoints(exampleListText))
    expect(codePoints(view.trackingText)).toEqual(codePoints(exampleTrackingText))
  })

  it("converts createdAt to UTC", () => {
    expect(view.createdAt).toBe("2026-06-01T10:00:00Z")
    expect(view.createdAtText).toBe("01.06.2026")
  })

  it("fills the plain fields", () => {
    expect(view.orderNumber).toBe("12345")
    expect(view.sourceOrderId).toBe("5001")
    expect(view.sourceOrderNumber).toBe("12345")
    expect(view.itemsText).toBe("• Миноксидил 5% x1")
    expect(view.deliveryAddressText).toBe("Москва, Тверская")
    expect(view.statusGroup).toBe("delivery")
    expect(view.statusLabel).toBe("В доставке")
    expect(view.deliveryCode).toBe("pr-rs")
    expect(view.trackingCode).toBe("TRACK123456")
    expect(view.trackingUrl).toBe(pochtaUrl)
    expect(view.canTrackOnline).toBe(true)
  })

  it("fills the aliases", () => {
    expect(view.trackingNumber).toBe("TRACK123456")
    expect(view.deliveryStatus).toBe("В доставке")
  })

  it("has the 18 contract fields", () => {
    expect(Object.keys(view).sort()).toEqual([...orderSummaryFields].sort())
  })
})

describe("status groups", () => {
  it("labels an assembling order", () => {
    const view = render(exampleWire(), "assembling")

    expect(view.statusLabel).toBe("Собирается")
    expect(view.deliveryStatus).toBe("Собирается")
    expect(view.detailText).toBe(
      "Вот этот заказ 👇\n\n12345\n01.06.2026\nСобирается\n\n• Миноксидил 5% x1\n\nПочта РФ: Москва, Тверская\n\nЧто сделаем?"
    )
    expect(renderOrderList([view])).toBe(
      "Твои заказы 👇\n\nМожно отследить текущий заказ или быстро повторить прошлый.\n\n" +
        "🗒️Номер заказа: 12345\n📆Оформлен: 01.06.2026\n\n📦 Собираем заказ\n\n• Миноксидил 5% x1\n\n" +
        `🚙Москва, Тверская\n🔍Отследить заказ: ${pochtaUrl}`
    )
  })

  it("labels a complete order", () => {
    const view = render(exampleWire(), "complete")

    expect(view.statusLabel).toBe("Выполнен")
    expect(view.deliveryStatus).toBe("Выполнен")
    expect(view.detailText).toBe(
      "Вот этот заказ 👇\n\n12345\n01.06.2026\nВыполнен\n\n• Миноксидил 5% x1\n\nПочта РФ: Москва, Тверская\n\nЧто сделаем?"
    )
    expect(renderOrderList([view])).toContain("📆Оформлен: 01.06.2026\n\n✅ Заказ выполнен\n\n• Миноксидил 5% x1")
  })

  it("leaves repeatConfirmText without status", () => {
    expect(render(exampleWire(), "assembling").repeatConfirmText).toBe(exampleRepeatConfirmText)
    expect(render(exampleWire(), "complete").repeatConfirmText).toBe(exampleRepeatConfirmText)
  })
})

describe("delivery address", () => {
  it("leaves out a missing address", () => {
    const view = renderWithDelivery({ code: "pr-rs", data: { trackNumber: "TRACK123456" } })

    expect(view.deliveryAddressText).toBeNull()
    expect(view.detailText).toBe(
      "Вот этот заказ 👇\n\n12345\n01.06.2026\nВ доставке\n\n• Миноксидил 5% x1\n\nЧто сделаем?"
    )
    expect(view.repeatConfirmText).toBe(
      "Заказ 12345\n\nВот этот заказ 👇\n\n12345\n01.06.2026\n\n🗒️Состав:\n• Миноксидил 5% x1\n\n" +
        "Уверены, что хотите его повторить?"
    )
    expect(renderOrderList([view])).toBe(
      "Твои заказы 👇\n\nМожно отследить текущий заказ или быстро повторить прошлый.\n\n" +
        "🗒️Номер заказа: 12345\n📆Оформлен: 01.06.2026\n\n🚚 Уже едет к вам\n\n• Миноксидил 5% x1\n\n" +
        `🔍Отследить заказ: ${pochtaUrl}`
    )
  })

  it("joins city and street", () => {
    const view = renderWithDelivery({
      code: "pr-rs",
      address: { city: "Москва", street: "Тверская", building: "1" },
      data: { trackNumber: "TRACK123456" }
    })

    expect(view.deliveryAddressText).toBe("Москва, Тверская")
    expect(view.detailText).toBe(exampleDetailText)
    expect(view.repeatConfirmText).toBe(exampleRepeatConfirmText)
  })

  it("uses the city alone", () => {
    const view = renderWithDelivery({ address: { city: "Москва" } })

    expect(view.deliveryAddressText).toBe("Москва")
  })

  it("prefers text over city", () => {
    const view = renderWithDelivery({ address: { text: "Москва, Тверская", city: "Тула", street: "Ленина" } })

    expect(view.deliveryAddressText).toBe("Москва, Тверская")
  })

  it("tolerates an empty address list", () => {
    const view = renderWithDelivery({ code: "pr-rs", address: [], data: { trackNumber: "TRACK123456" } })

    expect(view.deliveryAddressText).toBeNull()
    expect(view.trackingUrl).toBe(pochtaUrl)
    expect(view.detailText).not.toContain("Почта РФ")
  })

  it("tolerates an empty delivery list", () => {
    const view = renderWithDelivery([])

    expect(view.deliveryAddressText).toBeNull()
    expect(view.deliveryCode).toBeNull()
    expect(view.trackingCode).toBeNull()
    expect(view.trackingUrl).toBeNull()
    expect(view.canTrackOnline).toBe(false)
    expect(view.trackingText).toBeNull()
    expect(view.detailText).toBe(
      "Вот этот заказ 👇\n\n12345\n01.06.2026\nВ доставке\n\n• Миноксидил 5% x1\n\nЧто сделаем?"
    )
  })

  it("tolerates a missing delivery", () => {
    const { delivery: _delivery, ...withoutDelivery } = exampleWire()
    const view = render(withoutDelivery)

    expect(view.deliveryAddressText).toBeNull()
    expect(view.trackingUrl).toBeNull()
    expect(view.trackingText).toBeNull()
  })
})

describe("tracking", () => {
  it("returns nulls without a number", () => {
    const view = renderWithDelivery({ code: "pr-rs", address })

    expect(view.trackingCode).toBeNull()
    expect(view.trackingNumber).toBeNull()
    expect(view.trackingUrl).toBeNull()
    expect(view.trackingText).toBeNull()
    expect(view.canTrackOnline).toBe(false)
    expect(view.detailText).toBe(exampleDetailText)
    expect(renderOrderList([view])).toBe(
      "Твои заказы 👇\n\nМожно отследить текущий заказ или быстро повторить прошлый.\n\n" +
        "🗒️Номер заказа: 12345\n📆Оформлен: 01.06.2026\n\n🚚 Уже едет к вам\n\n• Миноксидил 5% x1\n\n" +
        "🚙Москва, Тверская"
    )
  })

  it("keeps a number of an unknown service", () => {
    const view = renderWithDelivery({ code: "courier", address, data: { trackNumber: "TRACK123456" } })

    expect(view.deliveryCode).toBe("courier")
    expect(view.trackingCode).toBe("TRACK123456")
    expect(view.trackingNumber).toBe("TRACK123456")
    expect(view.trackingUrl).toBeNull()
    expect(view.trackingText).toBeNull()
    expect(view.canTrackOnline).toBe(false)
    expect(renderOrderList([view])).not.toContain("🔍")
  })

  it("shows only the address for an unknown service", () => {
    const view = renderWithDelivery({ code: "courier", address })

    expect(view.detailText).toBe(
      "Вот этот заказ 👇\n\n12345\n01.06.2026\nВ доставке\n\n• Миноксидил 5% x1\n\nМосква, Тверская\n\nЧто сделаем?"
    )
  })

  it("falls back to integrationCode", () => {
    const view = renderWithDelivery({
      code: "own-post",
      integrationCode: "pr-rs",
      address,
      data: { trackNumber: "TRACK123456" }
    })

    expect(view.deliveryCode).toBe("own-post")
    expect(view.trackingUrl).toBe(pochtaUrl)
    expect(view.canTrackOnline).toBe(true)
    expect(view.trackingText).toBe(exampleTrackingText)
    expect(view.detailText).toBe(exampleDetailText)
  })

  it("reads integrationCode without code", () => {
    const view = renderWithDelivery({ integrationCode: "5post", address, data: { trackNumber: "TRACK123456" } })

    expect(view.deliveryCode).toBe("5post")
    expect(view.trackingUrl).toBe("https://fivepost.ru/tracking/?id=TRACK123456")
  })

  it("builds the 5post link", () => {
    const view = renderWithDelivery({ code: "5post", address, data: { trackNumber: "FP000111" } })

    expect(view.trackingUrl).toBe("https://fivepost.ru/tracking/?id=FP000111")
    expect(view.canTrackOnline).toBe(true)
    expect(view.trackingText).toBe(
      "📬 Ваш заказ уже едет к вам\n\nВот ссылка для отслеживания 👇\nhttps://fivepost.ru/tracking/?id=FP000111"
    )
    expect(view.detailText).toContain("\n\n5Post: Москва, Тверская\n\n")
  })

  it("builds the CDEK link", () => {
    const view = renderWithDelivery({
      code: "sdek-v-2-7b30522f5b0a597f679345a92b57c324",
      address,
      data: { trackNumber: "1234567890" }
    })

    expect(view.trackingUrl).toBe("https://www.cdek.ru/ru/tracking/?order_id=1234567890")
    expect(view.canTrackOnline).toBe(true)
    expect(view.detailText).toContain("\n\nСДЭК: Москва, Тверская\n\n")
    expect(renderOrderList([view])).toContain("🔍Отследить заказ: https://www.cdek.ru/ru/tracking/?order_id=1234567890")
  })

  it("prefers data.trackNumber", () => {
    const view = renderWithDelivery({
      code: "pr-rs",
      trackNumber: "SECOND",
      trackingNumber: "THIRD",
      data: { trackNumber: "FIRST" }
    })

    expect(view.trackingCode).toBe("FIRST")
  })

  it("falls back to trackNumber", () => {
    const view = renderWithDelivery({ code: "pr-rs", trackNumber: "SECOND", trackingNumber: "THIRD", data: [] })

    expect(view.trackingCode).toBe("SECOND")
    expect(view.trackingUrl).toBe("https://www.pochta.ru/tracking?barcode=SECOND")
  })

  it("falls back to trackingNumber", () => {
    const view = renderWithDelivery({ code: "pr-rs", trackingNumber: "THIRD" })

    expect(view.trackingCode).toBe("THIRD")
    expect(view.trackingNumber).toBe("THIRD")
    expect(view.trackingUrl).toBe("https://www.pochta.ru/tracking?barcode=THIRD")
  })
})

describe("items", () => {
  it("prefers the offer's displayName", () => {
    const view = render(
      exampleWire({ items: [{ quantity: 1, productName: "Строка", offer: { name: "Имя", displayName: "Витрина" } }] })
    )

    expect(view.itemsText).toBe("• Витрина x1")
  })

  it("falls back to the offer name", () => {
    const view = render(exampleWire({ items: [{ quantity: 2, productName: "Строка", offer: { name: "Имя" } }] }))

    expect(view.itemsText).toBe("• Имя x2")
  })

  it("falls back to productName", () => {
    const view = render(exampleWire({ items: [{ quantity: 3, productName: "Строка" }] }))

    expect(view.itemsText).toBe("• Строка x3")
  })

  it("reads productName beside an empty offer", () => {
    const view = render(exampleWire({ items: [{ quantity: 1, productName: "Строка", offer: [] }] }))

    expect(view.itemsText).toBe("• Строка x1")
  })

  it("keeps repeated offers apart", () => {
    const offer = { id: 3001, name: "Миноксидил 5%", displayName: "Миноксидил 5%" }
    const view = render(
      exampleWire({
        items: [
          { quantity: 1, offer },
          { quantity: 2, offer }
        ]
      })
    )

    expect(view.itemsText).toBe("• Миноксидил 5% x1\n• Миноксидил 5% x2")
    expect(renderOrderList([view])).toContain("\n\n• Миноксидил 5% x1\n• Миноксидил 5% x2\n\n")
  })
})

describe("order list", () => {
  it("separates orders by a blank line", () => {
    const first = render(exampleWire())
    const second = render(
      exampleWire({
        id: 5002,
        number: "12346",
        createdAt: "2026-05-20 09:30:00",
        items: [{ quantity: 2, productName: "Шампунь" }],
        delivery: []
      }),
      "complete"
    )

    expect(renderOrderList([first, second])).toBe(
      `${exampleListText}\n\n🗒️Номер заказа: 12346\n📆Оформлен: 20.05.2026\n\n✅ Заказ выполнен\n\n• Шампунь x2`
    )
  })

  it("uses the Moscow date", () => {
    const view = render(exampleWire({ createdAt: "2026-06-01 01:30:00" }))

    expect(view.createdAt).toBe("2026-05-31T22:30:00Z")
    expect(view.createdAtText).toBe("01.06.2026")
    expect(listTextOf(exampleWire({ createdAt: "2026-06-01 01:30:00" }))).toContain("📆Оформлен: 01.06.2026\n")
  })
})
