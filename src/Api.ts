import { HttpApi, OpenApi } from "@effect/platform"
import { AuthApi } from "./authorization/Api.js"
import { HealthApi } from "./health/Api.js"
import { OrdersApi } from "./orders/Api.js"

/** The service's HTTP API; `/openapi.json` and `/docs` are generated from it. */
export class BotApi extends HttpApi.make("retailcrm-bot-auth")
  .add(HealthApi)
  .add(AuthApi)
  .add(OrdersApi)
  .annotate(OpenApi.Title, "retailcrm-bot-auth")
  .annotate(
    OpenApi.Description,
    "Messenger account authorization with one-time codes for BotMarketing chatbots, backed by RetailCRM."
  ) {}
