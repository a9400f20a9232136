import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { BotApi } from "../Api.js"
import { runBotEndpoint } from "../http/BotReply.js"
import { ordersReply, repeatReply } from "./Api.js"
import { OrdersFlow } from "./OrdersFlow.js"
import { readListOrdersRequest, readRepeatOrderRequest } from "./Requests.js"

export const OrdersHttpLive = HttpApiBuilder.group(BotApi, "orders", (handlers) =>
  Effect.gen(function* () {
    const flow = yield* OrdersFlow

    return handlers
      .handleRaw("list", runBotEndpoint(ordersReply, readListOrdersRequest, flow.list))
      .handleRaw("repeat", runBotEndpoint(repeatReply, readRepeatOrderRequest, flow.repeat))
  })
)
