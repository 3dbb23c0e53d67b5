import type { Readiness } from '../telemetry/process-server.ts'
import type { SourceState } from './kafka-source.ts'

export interface BridgeCondition {
  stopping: boolean
  source: SourceState
  partitions: number
  /** Epoch ms of the first of the connections or group heartbeats failing in a row; null when they succeed. */
  kafkaTroubleSince: number | null
  /** Epoch ms of the first of the writes (ClickHouse inserts, dead letters) failing in a row; null when fine. */
  writesFailingSince: number | null
  /** How long failing writes are tolerated before the bridge says it is not ready. */
  writeGraceMs: number
  /** Epoch ms since when no message arrived while Kafka held unread ones; null when fine. */
  stalledSince: number | null
  now: number
  /** How long failures are tolerated (a coordinator or leader move costs a few). */
  troubleGraceMs: number
  /** false when the bridge reads no Kafka topic (`--source nats`): `source`, `partitions` and `stalledSince` are not its. */
  readsKafka?: boolean
  /** The NATS source, when the bridge reads NATS (`--source nats|both`). */
  nats?: { state: SourceState; troubleSince: number | null }
}

/** A bridge is ready only while it is a consuming group member with partitions: never "OK" while idle by fault. */
export function bridgeReadiness(condition: BridgeCondition): Readiness {
  if (condition.stopping) return { ready: false, reason: 'stopping' }
  const readsKafka = condition.readsKafka !== false
  if (readsKafka) {
    const kafka = kafkaReadiness(condition)
    if (!kafka.ready) return kafka
  }
  if (condition.nats) {
    const nats = natsReadiness(condition.nats, condition.now, condition.troubleGraceMs)
    if (!nats.ready) return nats
  }
  const writes = condition.writesFailingSince
  if (writes !== null && condition.now - writes > condition.writeGraceMs)
    return {
      ready: false,
      reason: `writes failing for ${Math.round((condition.now - writes) / 1000)} s (ClickHouse or the dead-letter topic unreachable); retrying`
    }
  if (!readsKafka) return { ready: true }
  if (condition.stalledSince !== null)
    return { ready: false, reason: 'stalled: no message read while Kafka holds unread ones' }
  // Reading NATS too, a bridge without partitions still has work: the NATS consumer is shared by all.
  if (condition.partitions === 0 && !condition.nats)
    return { ready: false, reason: 'no partitions assigned (joining, or more bridges than partitions)' }
  return { ready: true }
}

function kafkaReadiness(condition: BridgeCondition): Readiness {
  if (condition.source === 'reconnecting')
    return { ready: false, reason: 'Kafka consumer lost: reconnecting and rejoining the group' }
  if (condition.source === 'failed') return { ready: false, reason: 'Kafka refused the consumer for good' }
  if (condition.source !== 'consuming') return { ready: false, reason: `Kafka source ${condition.source}` }
  const failing = condition.kafkaTroubleSince
  if (failing !== null && condition.now - failing > condition.troubleGraceMs)
    return {
      ready: false,
      reason: `Kafka unreachable: connections or group heartbeats failing for ${Math.round((condition.now - failing) / 1000)} s`
    }
  return { ready: true }
}

function natsReadiness(nats: NonNullable<BridgeCondition['nats']>, now: number, graceMs: number): Readiness {
  const down = nats.troubleSince
  if (down !== null && now - down > graceMs)
    return { ready: false, reason: `NATS unreachable for ${Math.round((now - down) / 1000)} s; reconnecting` }
  if (nats.state !== 'consuming' && nats.state !== 'reconnecting')
    return { ready: false, reason: `NATS source ${nats.state}` }
  return { ready: true }
}
