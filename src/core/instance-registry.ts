import type { Heartbeat, Role } from './heartbeat.ts'

/**
 * The hub's picture of the cluster (pure: the caller passes the clock). Records heartbeats, marks instances
 * dead when they stop sending, keeps a sample history per instance for a window, derives rates from the
 * cumulative counters, and emits events a person cares about: joins, deaths, returns, partition changes.
 */
export const InstanceStates = { ALIVE: 'alive', DEAD: 'dead' } as const
export type InstanceState = (typeof InstanceStates)[keyof typeof InstanceStates]

export type HubEventKind =
  'joined' | 'died' | 'returned' | 'partitions-changed' | 'backpressure-active' | 'backpressure-released'

export interface HubEvent {
  at: number
  kind: HubEventKind
  instanceId: string | null
  detail: string
}

/** One point of an instance's history: rates over the interval since the previous heartbeat. */
export interface Sample {
  at: number
  messagesPerSecond: number
  byType: Record<string, number>
  buffered: number
  insertLatencyMs: number
  paused: boolean
}

export interface InstanceView {
  instanceId: string
  role: Role
  state: InstanceState
  lastSeen: number
  lastHeartbeat: Heartbeat
  messagesPerSecond: number
  byType: Record<string, number>
  history: Sample[]
}

interface Entry {
  state: InstanceState
  lastSeen: number
  heartbeat: Heartbeat
  history: Sample[]
}

export class InstanceRegistry {
  readonly #deadAfterMs: number
  readonly #historyMs: number
  readonly #maxEvents: number
  readonly #entries = new Map<string, Entry>()
  readonly #events: HubEvent[] = []

  constructor(options: { deadAfterMs: number; historyMs: number; maxEvents?: number }) {
    this.#deadAfterMs = options.deadAfterMs
    this.#historyMs = options.historyMs
    this.#maxEvents = options.maxEvents ?? 1000
  }

  get deadAfterMs(): number {
    return this.#deadAfterMs
  }

  /**
   * The live process already reporting under this heartbeat's instance id from another host or pid, if any.
   * A restarted process (same id, new pid) is accepted once the old one has gone silent for the dead-after time.
   */
  claimedElsewhere(heartbeat: Heartbeat, now: number): Heartbeat | null {
    const entry = this.#entries.get(heartbeat.instanceId)
    if (!entry || entry.state !== InstanceStates.ALIVE || now - entry.lastSeen > this.#deadAfterMs)
      return null
    const other = entry.heartbeat
    return other.host === heartbeat.host && other.pid === heartbeat.pid ? null : other
  }

  /** Records a heartbeat received at `now`; returns the events it caused. */
  record(heartbeat: Heartbeat, now: number): HubEvent[] {
    const previous = this.#entries.get(heartbeat.instanceId)
    const events: HubEvent[] = []
    const id = heartbeat.instanceId
    if (!previous) {
      events.push(
        this.#event(now, 'joined', id, `${heartbeat.role} on ${heartbeat.host} (pid ${heartbeat.pid})`)
      )
    } else if (previous.state === InstanceStates.DEAD) {
      events.push(this.#event(now, 'returned', id, `after ${Math.round((now - previous.lastSeen) / 1000)} s`))
    }
    if (previous && !samePartitions(previous.heartbeat.partitions, heartbeat.partitions)) {
      events.push(
        this.#event(
          now,
          'partitions-changed',
          id,
          `${previous.heartbeat.partitions.length} -> ${heartbeat.partitions.length} partitions`
        )
      )
    }
    const history = previous && previous.heartbeat.pid === heartbeat.pid ? previous.history : []
    const sample = sampleBetween(previous?.heartbeat, heartbeat, now)
    history.push(sample)
    while (history.length > 0 && (history[0]?.at ?? now) < now - this.#historyMs) history.shift()
    this.#entries.set(id, { state: InstanceStates.ALIVE, lastSeen: now, heartbeat, history })
    return events
  }

  /** Marks instances silent for longer than the dead-after time as dead; returns the deaths. */
  sweep(now: number): HubEvent[] {
    const events: HubEvent[] = []
    for (const [id, entry] of this.#entries) {
      if (entry.state === InstanceStates.ALIVE && now - entry.lastSeen > this.#deadAfterMs) {
        entry.state = InstanceStates.DEAD
        events.push(
          this.#event(now, 'died', id, `no heartbeat for ${Math.round((now - entry.lastSeen) / 100) / 10} s`)
        )
      }
      // Forget instances dead for longer than the history window.
      if (entry.state === InstanceStates.DEAD && now - entry.lastSeen > this.#historyMs)
        this.#entries.delete(id)
    }
    return events
  }

  /** A cluster-level event (e.g. a backpressure transition). */
  note(now: number, kind: HubEventKind, detail: string): HubEvent {
    return this.#event(now, kind, null, detail)
  }

  /** Removes an instance (e.g. a probe that `tickbridge validate` played); true when it was known. */
  forget(instanceId: string): boolean {
    return this.#entries.delete(instanceId)
  }

  instances(): InstanceView[] {
    return [...this.#entries]
      .map(([instanceId, entry]) => {
        const latest = entry.history.at(-1)
        return {
          instanceId,
          role: entry.heartbeat.role,
          state: entry.state,
          lastSeen: entry.lastSeen,
          lastHeartbeat: entry.heartbeat,
          messagesPerSecond: entry.state === InstanceStates.ALIVE ? (latest?.messagesPerSecond ?? 0) : 0,
          byType: entry.state === InstanceStates.ALIVE ? (latest?.byType ?? {}) : {},
          history: entry.history
        }
      })
      .sort(
        (a, b) =>
          a.role.localeCompare(b.role) || a.instanceId.localeCompare(b.instanceId, 'en', { numeric: true })
      )
  }

  alive(): Heartbeat[] {
    return [...this.#entries.values()].filter((e) => e.state === InstanceStates.ALIVE).map((e) => e.heartbeat)
  }

  events(since = 0): HubEvent[] {
    return this.#events.filter((e) => e.at >= since)
  }

  #event(at: number, kind: HubEventKind, instanceId: string | null, detail: string): HubEvent {
    const event = { at, kind, instanceId, detail }
    this.#events.push(event)
    if (this.#events.length > this.#maxEvents) this.#events.shift()
    return event
  }
}

function samePartitions(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false
  const set = new Set(a)
  return b.every((p) => set.has(p))
}

/** Rates from two consecutive heartbeats of the same process (a restart resets its counters: no rate). */
function sampleBetween(before: Heartbeat | undefined, after: Heartbeat, now: number): Sample {
  const base = {
    at: now,
    buffered: after.buffer.messages,
    insertLatencyMs: after.insertLatencyMs.mean,
    paused: after.pressure.effective === 'paused'
  }
  if (!before || before.pid !== after.pid || after.sentAt <= before.sentAt) {
    return { ...base, messagesPerSecond: 0, byType: {} }
  }
  const seconds = (after.sentAt - before.sentAt) / 1000
  const byType: Record<string, number> = {}
  let total = 0
  for (const [type, count] of Object.entries(after.messages)) {
    const rate = Math.max(0, (count - (before.messages[type] ?? 0)) / seconds)
    byType[type] = Math.round(rate * 10) / 10
    total += rate
  }
  return { ...base, messagesPerSecond: Math.round(total * 10) / 10, byType }
}

/** Sums over alive instances: what the cluster is doing now. */
export function clusterTotals(instances: InstanceView[]) {
  const alive = instances.filter((i) => i.state === InstanceStates.ALIVE)
  const sum = (pick: (i: InstanceView) => number) => alive.reduce((total, i) => total + pick(i), 0)
  const bridges = alive.filter((i) => i.role === 'bridge')
  return {
    instances: { alive: alive.length, dead: instances.length - alive.length },
    bridges: bridges.length,
    feeds: alive.length - bridges.length,
    bridgeMessagesPerSecond: Math.round(sum((i) => (i.role === 'bridge' ? i.messagesPerSecond : 0))),
    feedMessagesPerSecond: Math.round(sum((i) => (i.role === 'feed' ? i.messagesPerSecond : 0))),
    buffered: sum((i) => i.lastHeartbeat.buffer.messages),
    inserted: sum((i) => Object.values(i.lastHeartbeat.inserted).reduce((a, b) => a + b, 0)),
    deadLettered: sum((i) => i.lastHeartbeat.deadLettered),
    errors: sum((i) => i.lastHeartbeat.errors),
    partitions: sum((i) => i.lastHeartbeat.partitions.length)
  }
}
