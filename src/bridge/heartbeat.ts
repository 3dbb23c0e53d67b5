import type { CoordinatedPolicy } from '../core/backpressure.ts'
import type { Heartbeat } from '../core/heartbeat.ts'
import type { ProcessIdentity } from '../telemetry/identity.ts'
import type { Readiness } from '../telemetry/process-server.ts'
import type { KafkaSource } from './kafka-source.ts'
import type { NatsSource } from './nats-source.ts'
import type { BridgeWorker } from './worker.ts'

/** Builds a bridge's heartbeats; insert latency is the mean and max since the previous one. */
export function bridgeHeartbeats(
  identity: ProcessIdentity,
  parts: {
    worker: BridgeWorker
    source: KafkaSource
    /** When the bridge reads NATS: its messages are counted in `natsMessages`. */
    nats?: NatsSource | null
    policy: CoordinatedPolicy
    capacity: number
    readiness: () => Readiness
    /** Its worker pool: name, consumer group and topics. */
    pool: NonNullable<Heartbeat['pool']>
  }
): (metricsUrl: string) => Heartbeat {
  const { worker, source, nats, policy, capacity, readiness, pool } = parts
  let last = { inserts: 0, latencyTotal: 0 }
  return (metricsUrl) => {
    const stats = worker.stats
    const inserts = stats.insertCount - last.inserts
    const completed = inserts > 0 ? (stats.insertLatencyMsTotal - last.latencyTotal) / inserts : 0
    // An insert hanging on an unreachable ClickHouse completes nothing, so the mean of completed inserts would
    // read 0 (clear) for as long as its request timeout; its age so far is the latency the hub must see.
    const oldest = worker.oldestInsertSince
    const mean = Math.max(completed, oldest === null ? 0 : Date.now() - oldest)
    last = { inserts: stats.insertCount, latencyTotal: stats.insertLatencyMsTotal }
    return {
      v: 1,
      role: 'bridge',
      ...identity,
      pool,
      sentAt: Date.now(),
      ...(metricsUrl ? { metricsUrl } : {}),
      messages: Object.fromEntries(stats.receivedByType),
      ...(nats ? { natsMessages: nats.received } : {}),
      inserted: Object.fromEntries(stats.insertedByTable),
      inserts: stats.insertCount,
      insertLatencyMs: {
        mean: Math.round(mean * 10) / 10,
        max: Math.round(stats.takeWindowLatencyMax() * 10) / 10
      },
      deadLettered: stats.deadLetterCount,
      errors: stats.errorCount,
      buffer: { messages: worker.buffered, capacity },
      partitions: source.assignmentSummary(),
      pressure: {
        local: policy.localState,
        effective: worker.pressure,
        transitions: stats.backpressureCount
      },
      ready: readiness()
    }
  }
}
