import { PoolPressure, poolOf, type PoolDecision } from '../core/cluster-pressure.ts'
import type { Heartbeat, HeartbeatReply } from '../core/heartbeat.ts'
import {
  clusterTotals,
  InstanceRegistry,
  type HubEvent,
  type InstanceView
} from '../core/instance-registry.ts'
import { ALL_POOL } from '../core/pools.ts'
import type { PartitionLag } from '../kafka/lag.ts'

export interface PartitionLagView {
  /** The worker pool and its consumer group (`all`: BRIDGE_GROUP_ID). */
  pool: string
  group: string
  topic: string
  partition: number
  committed: number
  end: number
  lag: number
  owner: string | null
}

/** A consumer group the hub polls the lag of: a worker pool's, from its bridges' heartbeats. */
export interface LagGroup {
  pool: string
  group: string
  topics: string[]
}

/** The lag of one group, as the hub's poller read it. */
export interface GroupLag extends LagGroup {
  partitions: PartitionLag[]
}

/**
 * Everything the hub knows, in one place: the instance registry, the backpressure decision of each worker pool,
 * consumer lag per pool and partition and rows per table (polled by the hub), and listeners for live updates
 * (SSE). No IO here: the hub's pollers push data in, the HTTP routes read it out.
 */
export class ClusterView {
  readonly registry: InstanceRegistry
  readonly pressure: PoolPressure
  readonly startedAt = Date.now()
  lag: PartitionLagView[] = []
  lagError: string | null = null
  tables: Record<string, number> = {}
  readonly #listeners = new Set<(events: HubEvent[]) => void>()

  constructor(options: { deadAfterMs: number; historyMs: number; insertLatencyLimitMs: number }) {
    this.registry = new InstanceRegistry(options)
    this.pressure = new PoolPressure(options.insertLatencyLimitMs)
  }

  /** The reply to a heartbeat, or the process that already holds its instance id (then nothing is recorded). */
  heartbeat(heartbeat: Heartbeat, now = Date.now()): HeartbeatReply | { conflict: Heartbeat } {
    const holder = this.registry.claimedElsewhere(heartbeat, now)
    if (holder) return { conflict: holder }
    const events = this.registry.record(heartbeat, now)
    events.push(...this.#decidePressure(now))
    this.#emit(events)
    // A bridge follows its own pool; a feed never pauses, it is told whether any pool holds.
    const decision =
      heartbeat.role === 'bridge'
        ? this.pressure.of(poolOf(heartbeat))
        : { hold: this.pressure.hold, reason: this.pressure.reason }
    return { backpressure: decision, deadAfterMs: this.registry.deadAfterMs }
  }

  /** Marks silent instances dead (they no longer count for backpressure either). */
  sweep(now = Date.now()): HubEvent[] {
    const events = this.registry.sweep(now)
    if (events.length > 0) events.push(...this.#decidePressure(now))
    this.#emit(events)
    return events
  }

  /**
   * The consumer groups to poll: one per worker pool the hub knows bridges of (alive, or dead within the
   * history window); `fallback` (BRIDGE_GROUP_ID, every topic) for bridges that report no pool, or when no
   * bridge reported yet.
   */
  lagGroups(fallback: LagGroup): LagGroup[] {
    const groups = new Map<string, LagGroup>()
    for (const i of this.registry.instances()) {
      if (i.role !== 'bridge') continue
      const pool = i.lastHeartbeat.pool
      const group = pool ? { pool: pool.name, group: pool.group, topics: pool.topics } : fallback
      if (!groups.has(group.group)) groups.set(group.group, group)
    }
    if (groups.size === 0) groups.set(fallback.group, fallback)
    return [...groups.values()].sort((a, b) => a.pool.localeCompare(b.pool))
  }

  /** `fallbackGroup`: the group of bridges that report no pool (the hub's BRIDGE_GROUP_ID). */
  setLag(groups: GroupLag[], fallbackGroup = ''): void {
    const owners = new Map<string, string>()
    for (const heartbeat of this.registry.alive()) {
      const group = heartbeat.pool?.group ?? fallbackGroup
      for (const tp of heartbeat.partitions) owners.set(`${group}|${tp}`, heartbeat.instanceId)
    }
    const ownerOf = (group: string, tp: string) => owners.get(`${group}|${tp}`) ?? null
    this.lag = groups.flatMap(({ pool, group, partitions }) =>
      partitions.map((p) => ({
        pool,
        group,
        topic: p.topic,
        partition: p.partition,
        committed: Number(p.committed),
        end: Number(p.end),
        lag: Number(p.lag),
        owner: ownerOf(group, `${p.topic}:${p.partition}`)
      }))
    )
    this.lagError = null
  }

  /** Messages behind in the partitions `instanceId` owns (null while the hub's lag poll knows nothing). */
  lagOf(instanceId: string): number | null {
    if (this.lagError !== null || this.lag.length === 0) return null
    return this.lag.reduce((sum, p) => (p.owner === instanceId ? sum + p.lag : sum), 0)
  }

  /** Lag summed per pool, in the order of `lag`. */
  lagByPool(): { pool: string; group: string; lag: number }[] {
    const pools = new Map<string, { pool: string; group: string; lag: number }>()
    for (const p of this.lag) {
      const entry = pools.get(p.group) ?? { pool: p.pool, group: p.group, lag: 0 }
      entry.lag += p.lag
      pools.set(p.group, entry)
    }
    return [...pools.values()]
  }

  instances(): InstanceView[] {
    return this.registry.instances()
  }

  cluster() {
    const instances = this.instances()
    return {
      totals: clusterTotals(instances),
      backpressure: { hold: this.pressure.hold, reason: this.pressure.reason, pools: this.pressure.pools() },
      lag: {
        total: this.lag.reduce((sum, p) => sum + p.lag, 0),
        pools: this.lagByPool(),
        partitions: this.lag,
        error: this.lagError
      },
      tables: this.tables,
      hub: { startedAt: this.startedAt, deadAfterMs: this.registry.deadAfterMs }
    }
  }

  /** Live updates: called with the events of every change (and with [] on each tick of the hub). */
  subscribe(listener: (events: HubEvent[]) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  tick(): void {
    this.#emit([])
  }

  #decidePressure(now: number): HubEvent[] {
    return this.pressure
      .decide(this.registry.alive())
      .map((decision) =>
        this.registry.note(
          now,
          decision.hold ? 'backpressure-active' : 'backpressure-released',
          pressureDetail(decision)
        )
      )
  }

  #emit(events: HubEvent[]): void {
    for (const listener of this.#listeners) listener(events)
  }
}

/** The event text: the pool `all` is the whole cluster (as before pools); another pool is named. */
function pressureDetail({ pool, hold, reason }: PoolDecision): string {
  if (pool === ALL_POOL)
    return hold ? `cluster holds back: ${reason}` : 'every instance is clear: cluster resumes'
  return hold ? `pool ${pool} holds back: ${reason}` : `every instance of pool ${pool} is clear: it resumes`
}
