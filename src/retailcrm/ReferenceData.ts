import { Cache, Duration, Effect, Exit } from "effect"
import { AppConfig } from "../Config.js"
import type { CrmError } from "./errors.js"
import { RetailCrm } from "./RetailCrm.js"

/** An order status with the code and name of its status group. */
export interface OrderStatus {
  readonly code: string
  readonly name: string | null
  readonly groupCode: string | null
  readonly groupName: string | null
}

/**
 * RetailCRM's order statuses and status groups, read together and cached for `REFERENCE_CACHE_TTL_SECONDS`.
 * A failed read is not cached, so the next request tries again.
 */
export class ReferenceData extends Effect.Service<ReferenceData>()("retailcrm-bot-auth/ReferenceData", {
  scoped: Effect.gen(function* () {
    const crm = yield* RetailCrm
    const { retailCrm: config } = yield* AppConfig

    const load = Effect.gen(function* () {
      const [statuses, groups] = yield* Effect.all([crm.orderStatuses, crm.orderStatusGroups], { concurrency: 2 })
      const groupNames = new Map(groups.map((group) => [group.code, group.name ?? null]))
      return new Map(
        statuses.map((status): [string, OrderStatus] => [
          status.code,
          {
            code: status.code,
            name: status.name ?? null,
            groupCode: status.group ?? null,
            groupName:
              status.group === null || status.group === undefined ? null : (groupNames.get(status.group) ?? null)
          }
        ])
      )
    })

    const cache = yield* Cache.makeWith({
      capacity: 1,
      lookup: (_: "statuses") => load,
      timeToLive: (exit) => (Exit.isSuccess(exit) ? config.referenceCacheTtl : Duration.zero)
    })

    /** Order statuses by code. */
    const orderStatuses: Effect.Effect<ReadonlyMap<string, OrderStatus>, CrmError> = cache.get("statuses")

    return { orderStatuses } as const
  })
}) {}
