import type { Heartbeat } from '../core/heartbeat.ts'

/**
 * The scaling guide's heartbeat check greps the hub's log for one line per bridge:
 *
 *   Heartbeat from data-bridge-1: ticks=5000, ch_candles=2000, nats_msgs=7000
 *
 * tickbridge writes it in that shape (pino's `msg`), from the bridge's cumulative counters: `ticks` = trade
 * rows inserted, `ch_candles` = candle rows inserted (the exchange's own candles; candles recomputed from
 * trades are not rows a bridge received), `nats_msgs` = messages read from NATS (0 for a bridge reading only
 * Kafka), then `lag` = messages behind in the partitions it owns, when the hub's lag poll knows it.
 * At info at most once per bridge every `intervalMs`; the heartbeats in between at debug. No IO here.
 */
export function heartbeatLogLine(heartbeat: Heartbeat, lag: number | null): string {
  const nats = heartbeat.natsMessages ?? 0
  return (
    `Heartbeat from ${heartbeat.instanceId}: ticks=${heartbeat.inserted.trades ?? 0}, ` +
    `ch_candles=${heartbeat.inserted.candles ?? 0}, nats_msgs=${nats}` +
    (lag === null ? '' : `, lag=${lag}`)
  )
}

export class HeartbeatLogThrottle {
  readonly #intervalMs: number
  readonly #lastLogged = new Map<string, number>()

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs
  }

  /** 'info' when this bridge's line is due, else 'debug'; feeds are not logged (null). */
  level(heartbeat: Heartbeat, now: number): 'info' | 'debug' | null {
    if (heartbeat.role !== 'bridge') return null
    const last = this.#lastLogged.get(heartbeat.instanceId)
    if (last !== undefined && now - last < this.#intervalMs) return 'debug'
    this.#lastLogged.set(heartbeat.instanceId, now)
    return 'info'
  }
}
