import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { BotApi } from "../Api.js"
import { runBotEndpoint } from "../http/BotReply.js"
import { checkReply, resendReply, startReply, statusReply, unlinkReply } from "./Api.js"
import { AuthFlow } from "./AuthFlow.js"
import { readCheckRequest, readResendRequest, readStartRequest, readStatusRequest } from "./Requests.js"

export const AuthHttpLive = HttpApiBuilder.group(BotApi, "auth", (handlers) =>
  Effect.gen(function* () {
    const flow = yield* AuthFlow

    return handlers
      .handleRaw("status", runBotEndpoint(statusReply, readStatusRequest, flow.status))
      .handleRaw("start", runBotEndpoint(startReply, readStartRequest, flow.start))
      .handleRaw("check", runBotEndpoint(checkReply, readCheckRequest, flow.check))
      .handleRaw("resend", runBotEndpoint(resendReply, readResendRequest, flow.resend))
      .handleRaw("unlink", runBotEndpoint(unlinkReply, readStatusRequest, flow.unlink))
  })
)
