import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { BotApi } from "../Api.js"
import { readCheckRequest } from "../authorization/Requests.js"
import { runBotEndpoint } from "../http/BotReply.js"
import { checkReply, createReply, previewReply, startReply } from "./Api.js"
import { RecommendedFlow } from "./RecommendedFlow.js"
import { readCreateRequest, readPreviewRequest, readStartRequest } from "./Requests.js"

export const RecommendedHttpLive = HttpApiBuilder.group(BotApi, "recommended", (handlers) =>
  Effect.gen(function* () {
    const flow = yield* RecommendedFlow

    return handlers
      .handleRaw("preview", runBotEndpoint(previewReply, readPreviewRequest, flow.preview))
      .handleRaw("create", runBotEndpoint(createReply, readCreateRequest, flow.create))
      .handleRaw("start", runBotEndpoint(startReply, readStartRequest, flow.start))
      .handleRaw("check", runBotEndpoint(checkReply, readCheckRequest, flow.check))
  })
)
