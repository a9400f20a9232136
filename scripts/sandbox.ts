/**
 * Starts the emulators of RetailCRM, GreenSMS and the deduper with made-up seed data, and the service
 * wired to them, all on 127.0.0.1. Each message the GreenSMS emulator accepts is printed with its text,
 * so a person can read the code and walk the flow with curl (see the README).
 */
import { rmSync } from "node:fs"
import { LogLevel } from "effect"
import { maskPhoneForLog } from "../src/domain/Phone.js"
import { Stack } from "../test/support/stack.js"

const port = Number(process.env.SANDBOX_PORT ?? 8000)
const sqlitePath = process.env.SANDBOX_SQLITE_PATH ?? "./data/sandbox.db"
const showLogs = process.env.SANDBOX_LOGS !== "off"

// Every run starts from the same seed, so the README's examples always apply.
for (const suffix of ["", "-wal", "-shm"]) rmSync(`${sqlitePath}${suffix}`, { force: true })

const stack = await Stack.start({
  port,
  crmPort: Number(process.env.SANDBOX_CRM_PORT ?? 8101),
  greenSmsPort: Number(process.env.SANDBOX_GREENSMS_PORT ?? 8102),
  deduperPort: Number(process.env.SANDBOX_DEDUPER_PORT ?? 8103),
  sqlitePath,
  env: {
    RETAILCRM_SITE: "sandbox-shop",
    OTP_HASH_ITERATIONS: undefined,
    GREENSMS_SMS_FROM: "SandboxShop",
    GREENSMS_VK_FROM: "sandboxshop"
  },
  logLevel: LogLevel.Info,
  onLog: (line) => {
    if (showLogs) process.stdout.write(`  service ${line}\n`)
  }
})

// Seed. Names and phones are made up; phones are in the +7 900 000-00-xx range.
const bound = stack.crm.addCustomer({
  id: 1001,
  firstName: "Анна",
  lastName: "Тестова",
  email: "anna@example.com",
  phones: [{ number: "+7 900 000-00-01" }],
  customFields: { bot_telegram_account_id: "100000001" }
})
const unbound = stack.crm.addCustomer({
  id: 1002,
  firstName: "Иван",
  lastName: "Примеров",
  phones: [{ number: "89000000002" }]
})
const duplicateA = stack.crm.addCustomer({
  id: 1003,
  firstName: "Пётр",
  lastName: "Двойников",
  phones: [{ number: "79000000003" }]
})
const duplicateB = stack.crm.addCustomer({
  id: 1004,
  firstName: "Пётр",
  lastName: "Двойников",
  phones: [{ number: "+7 (900) 000-00-03" }]
})
stack.deduper.setResult("79000000003", { status: "resolved", finalCustomerId: duplicateA.id, warnings: [] })

// Catalogue and orders of the bound customer: one order per status group and delivery service.
const offerOf = (name: string, article: string, options: { readonly active?: boolean } = {}) => {
  const product = stack.crm.addProduct({ name, article, offers: [{ name, article, active: options.active ?? true }] })
  return product.offers[0] as { id: number; name: string }
}
const minoxidil = offerOf("Миноксидил 5%", "MNX-5")
const shampoo = offerOf("Шампунь с кофеином", "SHP-CAF")
const biotin = offerOf("Биотин 10 000 мкг", "BIO-10K")
const retired = offerOf("Сыворотка (снята с продажи)", "SER-OLD", { active: false })
const ordered = (offer: { id: number }, quantity = 1) => ({ quantity, offer: { id: offer.id } })

// Recommended sets of config/recommended-offers.json: three are in the catalogue, scalp_care is not
// (its preview works, an order gets product_not_found). Their orders get the status below.
offerOf("Набор против выпадения волос для мужчин", "SET-M-BASIC")
offerOf("Набор против выпадения волос для женщин", "SET-F-BASIC")
offerOf("Набор для роста бороды", "SET-BEARD")
stack.crm.addStatus({ code: "ruchnaia-obrabotka", name: "Ручная обработка", group: "new" })

stack.crm.addOrder({
  id: 5001,
  number: "12345",
  customer: { id: bound.id },
  createdAt: "2026-06-01 13:00:00",
  status: "send-to-delivery",
  items: [ordered(minoxidil)],
  delivery: { code: "pr-rs", address: { text: "Москва, Тверская" }, data: { trackNumber: "TRACK123456" } }
})
stack.crm.addOrder({
  id: 5002,
  number: "12346",
  customer: { id: bound.id },
  createdAt: "2026-07-15 09:30:00",
  status: "complete",
  items: [ordered(shampoo, 2), ordered(biotin)],
  delivery: {
    code: "sdek-v-2-7b30522f5b0a597f679345a92b57c324",
    address: { city: "Казань", street: "Баумана" },
    data: { trackNumber: "CDEK0000001" }
  }
})
stack.crm.addOrder({
  id: 5003,
  number: "12347",
  customer: { id: bound.id },
  createdAt: "2026-11-20 18:05:00",
  status: "assembling",
  items: [ordered(biotin)],
  delivery: { code: "5post", address: { text: "Санкт-Петербург, Невский проспект" } }
})
stack.crm.addOrder({
  id: 5004,
  number: "12348",
  customer: { id: bound.id },
  createdAt: "2026-11-25 12:00:00",
  status: "cancel-other",
  items: [ordered(shampoo)],
  delivery: { code: "pr-rs", address: { text: "Москва, Арбат" } }
})
stack.crm.addOrder({
  id: 5005,
  number: "12349",
  customer: { id: bound.id },
  createdAt: "2026-04-02 10:00:00",
  status: "complete",
  items: [ordered(retired)],
  delivery: { code: "courier", address: { text: "Москва, Ленинский проспект" } }
})
stack.crm.addOrder({
  id: 5006,
  number: "22001",
  customer: { id: unbound.id },
  createdAt: "2026-10-01 11:00:00",
  status: "complete",
  items: [ordered(minoxidil)]
})

stack.greenSms.onMessage((message) => {
  process.stdout.write(`\n>>> GreenSMS ${message.route} to ${maskPhoneForLog(message.to)}: ${message.txt}\n\n`)
})

process.stdout.write(`
retailcrm-bot-auth sandbox
  service    ${stack.url}   (docs: ${stack.url}/docs, OpenAPI: ${stack.url}/openapi.json)
  RetailCRM  ${stack.crm.url}   (emulator, API key "test-crm-key")
  GreenSMS   ${stack.greenSms.url}   (emulator, token "test-greensms-token"; every accepted message is printed here)
  deduper    ${stack.deduper.url}   (emulator, API key "test-dedupe-key")
  SQLite     ${sqlitePath}

Seed customers:
  ${bound.id}  ${bound.firstName} ${bound.lastName}, +7 900 000-00-01, bound to Telegram account 100000001
  ${unbound.id}  ${unbound.firstName} ${unbound.lastName}, +7 900 000-00-02, not bound
  ${duplicateA.id}, ${duplicateB.id}  two customers with +7 900 000-00-03; the deduper picks ${duplicateA.id}
  Any other phone (e.g. +7 900 000-00-09) belongs to nobody and gets a fake session.

Orders of customer ${bound.id} (newest first): 12348 cancelled (hidden from /orders), 12347 assembling (5Post),
  12346 complete (СДЭК, tracked), 12345 in delivery (Почта РФ, tracked), 12349 complete with an item that is
  no longer sold (its repeat gets unavailable_item). Order 22001 belongs to customer ${unbound.id}.

Recommended sets: male_hairloss_basic, female_hairloss_basic, beard_growth (in the catalogue) and
  scalp_care (not in the catalogue).

Stop with Ctrl+C.
`)

const shutdown = () => {
  stack.close().then(
    () => process.exit(0),
    () => process.exit(1)
  )
}
process.on("SIGINT", shutdown)
process.on("SIGTERM", shutdown)
