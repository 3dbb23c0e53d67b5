import { join } from 'node:path'
import type { Logger } from 'pino'
import type { Config } from '../config/types.ts'
import { createAdmin, createProducer } from '../kafka/clients.ts'
import { ensureTopics } from '../kafka/topics.ts'
import { defaultConnectionOptions, FeedConnection } from './connection.ts'
import { ErrorCodes, TickbridgeError } from '../errors.ts'
import type { MarketMessage } from '../core/messages.ts'
import { Backfiller } from './backfill.ts'
import { createSession, tradeHistoryOf, type ExchangeOptions } from './exchanges/index.ts'
import { NatsFanout } from './nats-fanout.ts'
import { FeedPublisher } from './publisher.ts'
import { DiskSpool } from './spool.ts'
import { feedHeartbeats } from './heartbeat.ts'
import { feedRegistry } from './metrics.ts'
import { processIdentity } from '../telemetry/identity.ts'
import { instanceHubToken, startInstanceTelemetry, type InstanceTelemetry } from '../telemetry/instance.ts'
import { displayNatsUrl } from '../nats/jetstream.ts'

const STOP_FLUSH_TIMEOUT_MS = 15_000

/** The exchange and its session options (from the registry, exchanges/index.ts), plus the feed's own. */
export type FeedOptions = {
  /** Also publish to NATS at this URL (<NATS_SUBJECT_PREFIX>.<type>.<exchange>.<symbol>). */
  natsUrl?: string
  instanceId: string
  statsIntervalMs: number
} & ExchangeOptions

export interface RunningFeed {
  publisher: FeedPublisher
  /** Gap filling from the exchange's REST trade history; null where trade ids are not sequential. */
  backfill: Backfiller | null
  connection: FeedConnection
  telemetry: InstanceTelemetry
  /** Settles when Kafka or the exchange refuses the feed for good: stop it (its queue is spooled) and exit non-zero. */
  fatal: Promise<Error>
  stop(): Promise<void>
}

/** One feed process: an exchange connection whose canonical messages are produced to Kafka. */
export async function startFeed(config: Config, options: FeedOptions, rootLog: Logger): Promise<RunningFeed> {
  const log = rootLog.child({ role: 'feed', instanceId: options.instanceId, exchange: options.exchange })
  const hubToken = instanceHubToken(config)
  const { trades, depth, quotes, candles, dlq, partitions } = config.topics
  const admin = createAdmin(config.kafka)
  await ensureTopics(admin, [trades, depth, quotes, candles, dlq], partitions).finally(() => admin.close())
  const { memoryQueueMax, spoolDir, spoolMaxBytes } = config.feed
  const spool = DiskSpool.open(join(spoolDir, options.instanceId), {
    segmentMessages: Math.max(1000, Math.floor(memoryQueueMax / 2)),
    maxBytes: spoolMaxBytes
  })
  // NATS before the publisher: it starts producing a non-empty spool at once, and a failed connect must leave
  // nothing running.
  const prefix = config.nats.subjectPrefix
  const fanout = options.natsUrl
    ? await NatsFanout.connect(options.natsUrl, options.instanceId, prefix, log)
    : null
  if (fanout)
    log.info(
      { nats: displayNatsUrl(options.natsUrl as string) },
      `publishing to NATS as ${prefix}.<type>.<exchange>.<symbol>`
    )
  const producer = createProducer(config.kafka, options.instanceId)
  let failWith: (error: Error) => void = () => undefined
  const fatal = new Promise<Error>((resolve) => (failWith = resolve))
  const publisher = new FeedPublisher(producer, config.topics, options.instanceId, log, {
    spool,
    memoryMax: memoryQueueMax,
    onFatal: (error) => failWith(error)
  })
  publisher.fanout = fanout
  const history = tradeHistoryOf(options)
  // Where trade ids are sequential, skipped ids are fetched over REST and produced too (flagged backfill).
  const backfill = history
    ? new Backfiller(options.exchange, history, (trade) => publisher.message(trade), log)
    : null
  const sink = {
    message: (message: MarketMessage) => {
      if (backfill && message.type === 'trade') backfill.observe(message)
      publisher.message(message)
    },
    rejected: (frame: string, reason: string) => publisher.rejected(frame, reason, options.exchange)
  }
  // Never alive and idle: an exchange refusing the connection for good (a bad API key) ends the feed as
  // Kafka refusing it does.
  const connection = new FeedConnection(
    createSession(options, sink, log),
    log,
    defaultConnectionOptions,
    (reason) =>
      failWith(
        new TickbridgeError(
          ErrorCodes.EXCHANGE_REFUSED,
          `${options.exchange} refused the connection: ${reason}`,
          {
            hint: 'Fix what the exchange objects to (an API key, a connection limit), then start the feed again.'
          }
        )
      )
  )
  connection.start()
  const source = { exchange: options.exchange, publisher, connection, backfill: backfill?.stats ?? null }
  let stopping = false
  const telemetry = await startInstanceTelemetry(
    config,
    {
      hubToken,
      registry: feedRegistry(options.instanceId, source),
      readiness: () =>
        stopping
          ? { ready: false, reason: 'stopping' }
          : connection.fatal
            ? { ready: false, reason: connection.fatal }
            : connection.connected
              ? { ready: true }
              : { ready: false, reason: `not connected to ${options.url}` },
      heartbeat: feedHeartbeats(processIdentity(options.instanceId), source),
      onReply: () => undefined // feeds never pause: Kafka absorbs what the bridges cannot take yet
    },
    log
  )
  const stats =
    options.statsIntervalMs > 0
      ? setInterval(
          () =>
            log.info(
              { produced: Object.fromEntries(publisher.counts), rejected: publisher.rejectedCount },
              'feed stats'
            ),
          options.statsIntervalMs
        ).unref()
      : null
  return {
    publisher,
    backfill,
    connection,
    telemetry,
    fatal,
    async stop() {
      stopping = true
      await telemetry.stop()
      if (stats) clearInterval(stats)
      connection.stop() // also ends the session's per-connection work (e.g. snapshot requests)
      backfill?.stop()
      // Bounded: with Kafka unreachable (or the topics deleted) a flush would retry forever.
      await publisher.flush(STOP_FLUSH_TIMEOUT_MS)
      const unsent = publisher.close()
      if (unsent > 0)
        log.warn(
          { unsent, spool: spool.dir },
          `stopping with ${unsent} messages Kafka did not take within ${STOP_FLUSH_TIMEOUT_MS / 1000} s: they are kept in the spool and produced first when this feed (same instance id) starts again`
        )
      await publisher.fanout?.close()
      await producer.close()
    }
  }
}
