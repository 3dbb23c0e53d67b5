import type { Heartbeat } from '../core/heartbeat.ts'
import type { ProcessIdentity } from '../telemetry/identity.ts'
import type { BackfillStats } from './backfill.ts'
import type { FeedPublisher } from './publisher.ts'

/** What a feed reports to the hub: messages produced by type, frames rejected, its connection. */
export interface FeedTelemetrySource {
  exchange: string
  publisher: FeedPublisher
  connection: { connected: boolean; connects: number }
  /** Gap filling, where the exchange's trade ids are sequential. */
  backfill: BackfillStats | null
}

export function feedHeartbeats(
  identity: ProcessIdentity,
  feed: FeedTelemetrySource
): (metricsUrl: string) => Heartbeat {
  return (metricsUrl) => ({
    v: 1,
    role: 'feed',
    ...identity,
    sentAt: Date.now(),
    ...(metricsUrl ? { metricsUrl } : {}),
    messages: Object.fromEntries(feed.publisher.counts),
    inserted: {},
    inserts: 0,
    insertLatencyMs: { mean: 0, max: 0 },
    deadLettered: feed.publisher.rejectedCount,
    errors: feed.publisher.errorCount,
    buffer: {
      messages: feed.publisher.queued,
      capacity: Number.isFinite(feed.publisher.memoryMax) ? feed.publisher.memoryMax : 0
    },
    partitions: [],
    pressure: { local: 'flowing', effective: 'flowing', transitions: 0 },
    feed: {
      exchange: feed.exchange,
      connected: feed.connection.connected,
      connects: feed.connection.connects,
      rejected: feed.publisher.rejectedCount,
      spooled: feed.publisher.spooled,
      dropped: feed.publisher.droppedCount,
      ...(feed.backfill
        ? {
            gaps: feed.backfill.gaps,
            backfilled: feed.backfill.backfilled,
            unfilledGaps: feed.backfill.unfilledGaps,
            unfilledTrades: feed.backfill.unfilledTrades
          }
        : {})
    }
  })
}
