import { Effect } from "effect"

/**
 * One mutex per key, created on demand and dropped when idle. Starts and resends of the same owner run
 * one at a time, so a double tap cannot send two codes. The service runs as one process over one SQLite
 * file, so an in-process lock covers every request.
 */
export class OwnerLocks extends Effect.Service<OwnerLocks>()("retailcrm-bot-auth/OwnerLocks", {
  sync: () => {
    const locks = new Map<string, { readonly semaphore: Effect.Semaphore; users: number }>()

    const withLock =
      (key: string) =>
      <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
        Effect.suspend(() => {
          let entry = locks.get(key)
          if (entry === undefined) {
            entry = { semaphore: Effect.unsafeMakeSemaphore(1), users: 0 }
            locks.set(key, entry)
          }
          const lock = entry
          lock.users++
          return lock.semaphore
            .withPermits(1)(self)
            .pipe(
              Effect.ensuring(
                Effect.sync(() => {
                  lock.users--
                  if (lock.users === 0) locks.delete(key)
                })
              )
            )
        })

    return { withLock } as const
  }
}) {}
