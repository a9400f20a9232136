import type { Reply } from "./http.js"
import { crmReply } from "./retailcrm-wire.js"

/** An order status as `GET /api/v5/reference/statuses` sends it. */
export interface Status {
  name: string
  code: string
  active: boolean
  ordering: number
  /** Code of the status group. */
  group: string
}

/** A status group as `GET /api/v5/reference/status-groups` sends it. */
export interface StatusGroup {
  name: string
  code: string
  active: boolean
  ordering: number
  process: boolean
  /** Codes of the group's statuses, by ordering. */
  statuses: string[]
}

export interface StatusInput {
  code: string
  name: string
  group: string
  /** Default true. */
  active?: boolean
  /** Default 990, as custom statuses have in RetailCRM's example replies. */
  ordering?: number
}

type GroupDefinition = Omit<StatusGroup, "statuses">

// RetailCRM's six default status groups with their default names.
const defaultGroups: readonly GroupDefinition[] = [
  { code: "new", name: "Новый", active: true, ordering: 10, process: false },
  { code: "approval", name: "Согласование", active: true, ordering: 20, process: true },
  { code: "assembling", name: "Комплектация", active: true, ordering: 30, process: true },
  { code: "delivery", name: "Доставка", active: true, ordering: 40, process: true },
  { code: "complete", name: "Выполнен", active: true, ordering: 50, process: false },
  { code: "cancel", name: "Отменен", active: true, ordering: 60, process: false }
]

// A subset of RetailCRM's default statuses, a few per group.
const defaultStatuses: readonly StatusInput[] = [
  { code: "new", name: "Новый", group: "new", ordering: 10 },
  { code: "availability-confirmed", name: "Наличие подтверждено", group: "approval", ordering: 10 },
  { code: "client-confirmed", name: "Согласовано с клиентом", group: "approval", ordering: 30 },
  { code: "send-to-assembling", name: "Передано в комплектацию", group: "assembling", ordering: 10 },
  { code: "assembling", name: "Комплектуется", group: "assembling", ordering: 20 },
  { code: "assembling-complete", name: "Укомплектован", group: "assembling", ordering: 30 },
  { code: "send-to-delivery", name: "Передан в доставку", group: "delivery", ordering: 10 },
  { code: "delivering", name: "Доставляется", group: "delivery", ordering: 20 },
  { code: "redirect", name: "Доставка перенесена", group: "delivery", ordering: 30 },
  { code: "complete", name: "Выполнен", group: "complete", ordering: 10 },
  { code: "no-call", name: "Недозвон", group: "cancel", ordering: 10 },
  { code: "no-product", name: "Нет в наличии", group: "cancel", ordering: 20 },
  { code: "cancel-other", name: "Отменен", group: "cancel", ordering: 60 }
]

const customStatusOrdering = 990

/** The order statuses of the emulated account, grouped into RetailCRM's six default groups. */
export class StatusBook {
  readonly #groups = new Map<string, GroupDefinition>(defaultGroups.map((group) => [group.code, group]))
  #statuses = new Map<string, Status>()

  constructor() {
    this.set(defaultStatuses)
  }

  /** Replaces every status. Throws, changing nothing, when a status names an unknown group. */
  set(list: readonly StatusInput[]): void {
    const statuses = new Map<string, Status>()
    for (const input of list) statuses.set(input.code, this.#build(input))
    this.#statuses = statuses
  }

  /** Adds a status, or replaces the one with the same code. */
  add(input: StatusInput): Status {
    const status = this.#build(input)
    this.#statuses.set(status.code, status)
    return { ...status }
  }

  has(code: string): boolean {
    return this.#statuses.has(code)
  }

  /** Returns copies of all statuses in insertion order. */
  list(): Status[] {
    return [...this.#statuses.values()].map((status) => ({ ...status }))
  }

  /** Serves `GET /api/v5/reference/statuses`: a map keyed by status code. */
  statusesReply(): Reply {
    return crmReply(200, { success: true, statuses: Object.fromEntries(this.#statuses) })
  }

  /** Serves `GET /api/v5/reference/status-groups`: a map keyed by group code. */
  groupsReply(): Reply {
    const sortedStatuses = [...this.#statuses.values()].sort((left, right) => left.ordering - right.ordering)
    const groups = [...this.#groups.values()].map((group): StatusGroup => {
      const codes = sortedStatuses.filter((status) => status.group === group.code).map((status) => status.code)
      return { ...group, statuses: codes }
    })
    return crmReply(200, {
      success: true,
      statusGroups: Object.fromEntries(groups.map((group) => [group.code, group]))
    })
  }

  #build(input: StatusInput): Status {
    if (!this.#groups.has(input.group)) {
      const known = [...this.#groups.keys()].join(", ")
      throw new Error(`Status "${input.code}" names unknown group "${input.group}": use one of ${known}.`)
    }
    return {
      name: input.name,
      code: input.code,
      active: input.active ?? true,
      ordering: input.ordering ?? customStatusOrdering,
      group: input.group
    }
  }
}
