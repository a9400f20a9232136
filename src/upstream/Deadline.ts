import { Clock, Duration, Effect, FiberRef, Option } from "effect"

/** Deadline of the current bot request's reply in unix milliseconds, when a request is running. */
export const currentDeadline: FiberRef.FiberRef<Option.Option<number>> = FiberRef.unsafeMake(Option.none())

// Time kept back from an upstream call so the reply can still be built and sent before the deadline.
const replyReserve = Duration.millis(500)

/** Runs `self` with a deadline `timeout` from now, which upstream calls inside it respect. */
export const withDeadline =
  (timeout: Duration.Duration) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.locally(self, currentDeadline, Option.some(now + Duration.toMillis(timeout)))
    )

/**
 * The timeout for one upstream call: the smaller of the call's own timeout and the time left before the
 * request deadline minus half a second. Zero means no time is left.
 */
export const callTimeout = (own: Duration.Duration): Effect.Effect<Duration.Duration> =>
  Effect.gen(function* () {
    const deadline = yield* FiberRef.get(currentDeadline)
    if (Option.isNone(deadline)) return own
    const now = yield* Clock.currentTimeMillis
    const left = Duration.millis(Math.max(0, deadline.value - now - Duration.toMillis(replyReserve)))
    return Duration.min(own, left)
  })

/** Bounds `self` by `callTimeout(own)`, failing with `onTimeout()` when the time runs out or none is left. */
export const withCallTimeout =
  <E2>(own: Duration.Duration, onTimeout: () => E2) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | E2, R> =>
    Effect.flatMap(callTimeout(own), (timeout) =>
      Duration.toMillis(timeout) <= 0
        ? Effect.fail(onTimeout())
        : Effect.timeoutFail(self, { duration: timeout, onTimeout })
    )
