import { Gauge, type Registry } from 'prom-client'
import { mirroredCounter, processRegistry } from '../telemetry/metrics.ts'
import type { FeedTelemetrySource } from './heartbeat.ts'

/** The feed's Prometheus metrics (tickbridge_feed_*), read at scrape time. */
export function feedRegistry(instanceId: string, feed: FeedTelemetrySource): Registry {
  const registry = processRegistry({ role: 'feed', instance_id: instanceId, exchange: feed.exchange })
  mirroredCounter(
    registry,
    {
      name: 'tickbridge_feed_messages_total',
      help: 'Canonical messages produced to Kafka, by type',
      labelNames: ['type']
    },
    () => [...feed.publisher.counts].map(([type, n]) => [{ type }, n])
  )
  mirroredCounter(
    registry,
    {
      name: 'tickbridge_feed_rejected_frames_total',
      help: 'Frames that failed to parse or validate (sent to the DLQ)'
    },
    () => [[{}, feed.publisher.rejectedCount]]
  )
  mirroredCounter(
    registry,
    { name: 'tickbridge_feed_connects_total', help: 'Successful exchange connections (1 + reconnects)' },
    () => [[{}, feed.connection.connects]]
  )
  mirroredCounter(
    registry,
    { name: 'tickbridge_feed_produce_errors_total', help: 'Failed Kafka sends (each retried)' },
    () => [[{}, feed.publisher.errorCount]]
  )
  mirroredCounter(
    registry,
    {
      name: 'tickbridge_feed_dropped_messages_total',
      help: 'Messages lost because Kafka was away and the spool was full (a gap)'
    },
    () => [[{}, feed.publisher.droppedCount]]
  )
  mirroredCounter(
    registry,
    {
      name: 'tickbridge_feed_nats_dropped_total',
      help: 'Messages not published to NATS (--nats) because the connection was closed for good; Kafka has them'
    },
    () => [[{}, feed.publisher.fanout?.dropped ?? 0]]
  )
  if (feed.backfill) {
    const stats = feed.backfill
    mirroredCounter(
      registry,
      { name: 'tickbridge_feed_trade_gaps_total', help: 'Gaps noticed in the sequential trade ids' },
      () => [[{}, stats.gaps]]
    )
    mirroredCounter(
      registry,
      { name: 'tickbridge_feed_backfilled_trades_total', help: 'Trades fetched over REST to fill gaps' },
      () => [[{}, stats.backfilled]]
    )
    mirroredCounter(
      registry,
      {
        name: 'tickbridge_feed_unfilled_gap_trades_total',
        help: 'Trade ids missing from gaps the REST history could not fill (logged as GAP)'
      },
      () => [[{}, stats.unfilledTrades]]
    )
  }
  new Gauge({
    name: 'tickbridge_feed_spooled_messages',
    help: 'Messages waiting on disk to be produced to Kafka',
    registers: [registry],
    collect() {
      this.set(feed.publisher.spooled)
    }
  })
  new Gauge({
    name: 'tickbridge_feed_connected',
    help: '1 while the exchange connection is open',
    registers: [registry],
    collect() {
      this.set(feed.connection.connected ? 1 : 0)
    }
  })
  new Gauge({
    name: 'tickbridge_feed_queued_messages',
    help: 'Messages waiting in memory to be produced to Kafka',
    registers: [registry],
    collect() {
      this.set(feed.publisher.queued)
    }
  })
  return registry
}
