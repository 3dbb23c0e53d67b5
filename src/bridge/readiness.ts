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
}

/** A bridge is ready only while it is a consuming group member with partitions: never "OK" while idle by fault. */
export function bridgeReadiness(condition: BridgeCondition): Readiness {
  if (condition.stopping) return { ready: false, reason: 'stopping' }
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
  const writes = condition.writesFailingSince
  if (writes !== null && condition.now - writes > condition.writeGraceMs)
    return {
      ready: false,
      reason: `writes failing for ${Math.round((condition.now - writes) / 1000)} s (ClickHouse or the dead-letter topic unreachable); retrying`
    }
  if (condition.stalledSince !== null)
    return { ready: false, reason: 'stalled: no message read while Kafka holds unread ones' }
  if (condition.partitions === 0)
    return { ready: false, reason: 'no partitions assigned (joining, or more bridges than partitions)' }
  return { ready: true }
}
