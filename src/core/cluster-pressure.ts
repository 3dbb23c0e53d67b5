import type { Heartbeat } from './heartbeat.ts'

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
