import { ClusterPressure } from '../core/cluster-pressure.ts'
import type { Heartbeat, HeartbeatReply } from '../core/heartbeat.ts'
import {
  clusterTotals,
  InstanceRegistry,
  type HubEvent,
  type InstanceView
} from '../core/instance-registry.ts'
import type { PartitionLag } from '../kafka/lag.ts'

export interface PartitionLagView {
  topic: string
  partition: number
  committed: number
  end: number
  lag: number
  owner: string | null
}

/**
 * Everything the hub knows, in one place: the instance registry, the cluster backpressure decision, consumer
 * lag per partition and rows per table (polled by the hub), and listeners for live updates (SSE).
 * No IO here: the hub's pollers push data in, the HTTP routes read it out.
 */
export class ClusterView {
  readonly registry: InstanceRegistry
  readonly pressure: ClusterPressure
  readonly startedAt = Date.now()
  lag: PartitionLagView[] = []
  lagError: string | null = null
  tables: Record<string, number> = {}
  readonly #listeners = new Set<(events: HubEvent[]) => void>()

  constructor(options: { deadAfterMs: number; historyMs: number; insertLatencyLimitMs: number }) {
    this.registry = new InstanceRegistry(options)
    this.pressure = new ClusterPressure(options.insertLatencyLimitMs)
  }

  /** The reply to a heartbeat, or the process that already holds its instance id (then nothing is recorded). */
  heartbeat(heartbeat: Heartbeat, now = Date.now()): HeartbeatReply | { conflict: Heartbeat } {
    const holder = this.registry.claimedElsewhere(heartbeat, now)
    if (holder) return { conflict: holder }
    const events = this.registry.record(heartbeat, now)
    events.push(...this.#decidePressure(now))
    this.#emit(events)
    return {
      backpressure: { hold: this.pressure.hold, reason: this.pressure.reason },
      deadAfterMs: this.registry.deadAfterMs
    }
  }

  /** Marks silent instances dead (they no longer count for backpressure either). */
  sweep(now = Date.now()): HubEvent[] {
    const events = this.registry.sweep(now)
    if (events.length > 0) events.push(...this.#decidePressure(now))
    this.#emit(events)
    return events
  }

  setLag(lag: PartitionLag[]): void {
    const owners = new Map<string, string>()
    for (const heartbeat of this.registry.alive())
      for (const tp of heartbeat.partitions) owners.set(tp, heartbeat.instanceId)
    this.lag = lag.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      committed: Number(p.committed),
      end: Number(p.end),
      lag: Number(p.lag),
      owner: owners.get(`${p.topic}:${p.partition}`) ?? null
    }))
    this.lagError = null
  }

  /** Messages behind in the partitions `instanceId` owns (null while the hub's lag poll knows nothing). */
  lagOf(instanceId: string): number | null {
    if (this.lagError !== null || this.lag.length === 0) return null
    return this.lag.reduce((sum, p) => (p.owner === instanceId ? sum + p.lag : sum), 0)
  }

  instances(): InstanceView[] {
    return this.registry.instances()
  }

  cluster() {
    const instances = this.instances()
    return {
      totals: clusterTotals(instances),
      backpressure: { hold: this.pressure.hold, reason: this.pressure.reason },
      lag: { total: this.lag.reduce((sum, p) => sum + p.lag, 0), partitions: this.lag, error: this.lagError },
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
    const decision = this.pressure.decide(this.registry.alive())
    if (!decision.changed) return []
    return [
      this.registry.note(
        now,
        decision.hold ? 'backpressure-active' : 'backpressure-released',
        decision.hold ? `cluster holds back: ${decision.reason}` : 'every instance is clear: cluster resumes'
      )
    ]
  }

  #emit(events: HubEvent[]): void {
    for (const listener of this.#listeners) listener(events)
  }
}
