import type { Heartbeat } from './heartbeat.ts'
import { ALL_POOL } from './pools.ts'

/**
 * The hub's cluster-wide backpressure decision (pure). The shared sink (ClickHouse) is what is slow, so when
 * one bridge has to hold back, all of them should: hold while any alive bridge is past its own high watermark
 * (its local policy says paused) or its mean insert latency is past the limit; release when every bridge's own
 * watermarks are clear again and latency is back below half the limit (hysteresis, so it does not flap).
 */
export interface ClusterPressureDecision {
  hold: boolean
  reason: string | null
  /** true when this decision differs from the previous one. */
  changed: boolean
}

export class ClusterPressure {
  readonly #latencyLimitMs: number
  #hold = false
  #reason: string | null = null

  constructor(insertLatencyLimitMs: number) {
    this.#latencyLimitMs = insertLatencyLimitMs
  }

  get hold(): boolean {
    return this.#hold
  }

  get reason(): string | null {
    return this.#reason
  }

  decide(alive: Heartbeat[]): ClusterPressureDecision {
    const bridges = alive.filter((h) => h.role === 'bridge')
    const overWatermark = bridges.find((h) => h.pressure.local === 'paused')
    const latencyBound = this.#hold ? this.#latencyLimitMs / 2 : this.#latencyLimitMs
    const slow = bridges.find((h) => h.insertLatencyMs.mean > latencyBound)
    const hold = overWatermark !== undefined || slow !== undefined
    const reason = overWatermark
      ? `${overWatermark.instanceId} is past its high watermark (${overWatermark.buffer.messages}/${overWatermark.buffer.capacity} buffered)`
      : slow
        ? `${slow.instanceId} insert latency ${Math.round(slow.insertLatencyMs.mean)} ms > ${latencyBound} ms`
        : null
    const changed = hold !== this.#hold
    this.#hold = hold
    this.#reason = reason
    return { hold, reason, changed }
  }
}

/** The worker pool a heartbeat belongs to (bridges from before pools: `all`). */
export const poolOf = (heartbeat: Heartbeat): string => heartbeat.pool?.name ?? ALL_POOL

export interface PoolDecision {
  pool: string
  hold: boolean
  reason: string | null
}

/**
 * The hub's backpressure decision per worker pool: a pool holds back while one of its own bridges is past its
 * watermark or too slow, and only that pool's bridges follow it, so a depth burst never pauses the trades pool.
 * Bridges of every type (the pool `all`, also what bridges without pools are) decide together as before.
 */
export class PoolPressure {
  readonly #latencyLimitMs: number
  readonly #pools = new Map<string, ClusterPressure>()

  constructor(insertLatencyLimitMs: number) {
    this.#latencyLimitMs = insertLatencyLimitMs
  }

  /** Decides every pool with alive bridges (and releases pools that have none left); returns the changes. */
  decide(alive: Heartbeat[]): PoolDecision[] {
    const byPool = new Map<string, Heartbeat[]>()
    for (const h of alive)
      if (h.role === 'bridge') byPool.set(poolOf(h), [...(byPool.get(poolOf(h)) ?? []), h])
    for (const pool of byPool.keys())
      if (!this.#pools.has(pool)) this.#pools.set(pool, new ClusterPressure(this.#latencyLimitMs))
    const changed: PoolDecision[] = []
    for (const [pool, pressure] of this.#pools) {
      const decision = pressure.decide(byPool.get(pool) ?? [])
      if (decision.changed) changed.push({ pool, hold: decision.hold, reason: decision.reason })
      if (!byPool.has(pool) && !decision.hold) this.#pools.delete(pool)
    }
    return changed
  }

  /** What the bridges of `pool` are told. */
  of(pool: string): { hold: boolean; reason: string | null } {
    const pressure = this.#pools.get(pool)
    return { hold: pressure?.hold ?? false, reason: pressure?.reason ?? null }
  }

  /** Whether any pool holds back, and the first reason. */
  get hold(): boolean {
    return [...this.#pools.values()].some((p) => p.hold)
  }

  get reason(): string | null {
    return [...this.#pools.values()].find((p) => p.hold)?.reason ?? null
  }

  /** Every pool the hub decides for, with its decision. */
  pools(): PoolDecision[] {
    return [...this.#pools.keys()].sort().map((pool) => ({ pool, ...this.of(pool) }))
  }
}
