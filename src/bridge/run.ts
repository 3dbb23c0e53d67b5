import type { Logger } from 'pino'
import { createClickHouse, createSchemaClickHouse } from '../clickhouse/client.ts'
import { capabilitiesOf } from '../clickhouse/capabilities.ts'
import { storedTable } from '../clickhouse/cluster-ddl.ts'
import { migrate } from '../clickhouse/migrate.ts'
import type { Config } from '../config/types.ts'
import type { HeartbeatReply } from '../core/heartbeat.ts'
import { CoordinatedPolicy, WatermarkPolicy } from '../core/backpressure.ts'
import { topicsOfTypes } from '../core/pools.ts'
import { createAdmin, createConsumer, createProducer } from '../kafka/clients.ts'
import { DEFAULT_MAX_MESSAGE_BYTES, ensureTopics, maxMessageBytes } from '../kafka/topics.ts'
import { dropExpiredPartitions } from '../clickhouse/retention.ts'
import { BufferFlusher } from './buffer-flusher.ts'
import { CandleRefresher } from './candle-refresher.ts'
import { ClickHouseSink } from './clickhouse-sink.ts'
import { DeadLetterProducer } from './dead-letter-producer.ts'
import { KafkaSource } from './kafka-source.ts'
import type { NatsSource } from './nats-source.ts'
import { sourceFor, type SourceMode } from './source-mode.ts'
import { describeKafkaError } from '../kafka/errors.ts'
import { BridgeWorker } from './worker.ts'
import { bridgeHeartbeats } from './heartbeat.ts'
import { bridgeReadiness } from './readiness.ts'
import type { Readiness } from '../telemetry/process-server.ts'
import { bridgeRegistry } from './metrics.ts'
import { processIdentity } from '../telemetry/identity.ts'
import { instanceHubToken, startInstanceTelemetry, type InstanceTelemetry } from '../telemetry/instance.ts'

export interface RunningBridge {
  worker: BridgeWorker
  source: KafkaSource
  /** The NATS source when the bridge reads NATS (`--source nats|both`). */
  nats: NatsSource | null
  policy: CoordinatedPolicy
  telemetry: InstanceTelemetry
  /** Settles with the error when Kafka fails in a way no reconnect can heal: stop and exit non-zero. */
  fatal: Promise<Error>
  /** Graceful: stop fetching, flush, commit, leave the group. */
  stop(timeoutMs?: number): Promise<boolean>
}

export function bridgeTopics(config: Config): string[] {
  const { trades, depth, quotes, candles } = config.topics
  return [trades, depth, quotes, candles]
}

export interface BridgeRunOptions {
  /** Where to read: Kafka (default), NATS JetStream, or both (docs/nats.md). */
  source?: SourceMode
}

/** Wires the worker to real Kafka and ClickHouse and starts consuming. */
export async function startBridge(
  config: Config,
  rootLog: Logger,
  options: BridgeRunOptions = {}
): Promise<RunningBridge> {
  const mode = options.source ?? 'kafka'
  const hubToken = instanceHubToken(config)
  const { instanceId, ordinal } = config.bridge
  const log = rootLog.child({ role: 'bridge', instanceId })
  log.info(`Instance ID: ${instanceId} (#${ordinal})`)

  const clickhouse = createClickHouse(config.clickhouse)
  // Migrations and retention's drops: ON CLUSTER on a cluster, answered only once every node ran them.
  const schema = createSchemaClickHouse(config.clickhouse)
  const { serverVersion } = await migrate(schema, config.clickhouse, log)
  const capabilities = capabilitiesOf(serverVersion)
  log.info(
    { clickhouse: serverVersion, dedupTokens: capabilities.insertDeduplicationToken, ttl: capabilities.ttl },
    'ClickHouse schema ready'
  )
  const retention = capabilities.ttl ? null : startRetentionJob(schema, config, log)

  // Its worker pool's topics only (every topic for the pool `all`), in the pool's consumer group.
  const { pool } = config.bridge
  const topics = topicsOfTypes(config.topics, pool.types)
  const admin = createAdmin(config.kafka)
  let dlqMaxBytes: number
  try {
    await ensureTopics(admin, [...topics, config.topics.dlq], config.topics.partitions)
    dlqMaxBytes = await maxMessageBytes(admin, config.topics.dlq).catch((error: unknown) => {
      log.warn(
        { err: error },
        `could not read max.message.bytes of ${config.topics.dlq}; assuming Kafka's default`
      )
      return DEFAULT_MAX_MESSAGE_BYTES
    })
  } finally {
    await admin.close()
  }

  const producer = createProducer(config.kafka, `${instanceId}-dlq`)
  /** The inverse of this bridge's share of the partitions (3 bridges: 3), capped: see WorkerOptions.batchAgeScale. */
  const clusterScale = (): number => {
    const share = source.partitionShare(topics.length * config.topics.partitions)
    return share > 0 ? Math.min(MAX_BATCH_AGE_SCALE, 1 / share) : 1
  }
  /**
   * Where in a period of N intervals this bridge's runs start (flushes, candle recomputes): rank × interval, so N
   * bridges take turns, one run per interval in all, instead of N at once. A flush or recompute holds the rows of
   * one interval, not of N: a Buffer table's flush blocks reads of it while it writes (measured at 50,000 msg/s:
   * docs/benchmarks.md), and N recomputes at once compete for the server. (NATS only: the Kafka source never
   * consumes, its rank is 0.)
   */
  const turn = (intervalMs: number) => () => source.rank() * intervalMs
  let failWith: (error: Error) => void = () => undefined
  const fatal = new Promise<Error>((resolve) => (failWith = resolve))
  // The source's stall check reads the worker built below.
  let worker: BridgeWorker
  const source = new KafkaSource({
    createConsumer: () => createConsumer(config.kafka, { groupId: pool.groupId, clientId: instanceId }),
    topics,
    log,
    buffered: () => worker.buffered,
    fetchIdleWaitMs: config.kafka.fetchIdleWaitMs,
    ...(config.kafka.fetchAlign
      ? {
          batchClock: {
            nextDueAt: () => worker.nextDueAt(),
            flushDueWithin: (withinMs: number) => worker.flushDueWithin(withinMs)
          }
        }
      : {}),
    onFatal: (error) => {
      log.fatal({ err: error, reason: describeKafkaError(error) }, 'Kafka error no reconnect can heal')
      failWith(error)
    }
  })
  // NATS-only: the Kafka consumer is built but never started (Kafka still takes the dead letters). The NATS
  // client is loaded only here (~0.2 CPU-s a bridge reading Kafka alone does not spend).
  const nats =
    mode === 'kafka'
      ? null
      : new (await import('./nats-source.ts')).NatsSource({
          nats: config.nats,
          instanceId,
          types: config.bridge.pool.types,
          log,
          onFatal: (error) => {
            log.fatal({ err: error }, 'NATS error no reconnect can heal')
            failWith(error)
          }
        })
  const { bufferMaxMessages, highWatermark, lowWatermark } = config.bridge
  const policy = new CoordinatedPolicy(new WatermarkPolicy(bufferMaxMessages, highWatermark, lowWatermark))
  // One server with CLICKHOUSE_WRITE_BUFFER: inserts land in the Buffer tables, flushed before commits
  // (bridge/buffer-flusher.ts); without: straight into the `<name>_local` tables behind them. A cluster inserts
  // synchronously through its Distributed tables.
  const { cluster, database } = config.clickhouse
  const buffer =
    cluster || !config.clickhouse.writeBuffer
      ? undefined
      : new BufferFlusher(
          clickhouse,
          database,
          instanceId,
          // Flushes per second, like inserts before, stay those of one bridge however many run.
          () => config.bridge.bufferFlushIntervalMs * clusterScale(),
          turn(config.bridge.bufferFlushIntervalMs)
        )
  await buffer?.start()
  worker = new BridgeWorker({
    source: sourceFor(mode, source, nats),
    sink: new ClickHouseSink(clickhouse, database, {
      // The worker sends no token into a Buffer table (it merges the blocks of many inserts).
      useDedupToken: capabilities.insertDeduplicationToken,
      buffer,
      // Past an empty buffer: the table that stores the rows (the Distributed table itself on a cluster).
      tableFor: buffer ? (table) => table : (table) => storedTable(table, cluster)
    }),
    deadLetters: new DeadLetterProducer(producer, config.topics.dlq, instanceId, dlqMaxBytes),
    // Candles are recomputed from the trades a pool inserts: a pool without trades has none to recompute.
    ...(config.bridge.candlesFromTrades && pool.types.includes('trade')
      ? {
          candles: new CandleRefresher(clickhouse, database, {
            // Like inserts, candle recomputes per second stay those of one bridge however many run.
            minIntervalMs: () => config.bridge.candleRefreshIntervalMs * clusterScale(),
            tradesTable: storedTable('trades', cluster),
            // The cluster's share of time in recomputes, split among the bridges like the interval (1: no limit).
            maxBusyShare: () => {
              const share = config.bridge.candleRefreshMaxShare
              return share >= 1 ? 1 : share / clusterScale()
            },
            // Behind a write buffer a recompute follows its flush, which already takes turns.
            ...(buffer ? {} : { phaseMs: turn(config.bridge.candleRefreshIntervalMs) })
          })
        }
      : {}),
    policy,
    log,
    onFatal: failWith,
    options: {
      instanceId,
      batchMaxRows: config.bridge.batchMaxRows,
      batchMaxAgeMs: config.bridge.batchMaxAgeMs,
      // Inserts per table per second stay those of one bridge however many run: into `<name>_local` each makes a
      // part; into a write buffer each still costs a request, a parse and an append (docs/benchmarks.md). Busy
      // batches go early (BATCH_EARLY_ROWS, on by default with write buffers, where an insert makes no part).
      batchAgeScale: clusterScale,
      batchEarlyRows: config.bridge.batchEarlyRows,
      // One insert per table at a time: while it runs, the next batch grows (larger inserts when busy). Two
      // were measured for latency (docs/benchmarks.md, 2026-11-30): no gain on a busy ClickHouse.
      maxInflightPerLane: 1,
      insertRetryMaxDelayMs: config.bridge.insertRetryMaxDelayMs
    }
  })
  await worker.start()
  log.info(
    {
      source: mode,
      pool: pool.name,
      ...(mode === 'nats' ? {} : { topics, group: pool.groupId }),
      ...(nats ? { stream: config.nats.stream, consumers: nats.consumers } : {})
    },
    'bridge consuming'
  )
  let stopping: Promise<boolean> | null = null
  const readiness = (): Readiness =>
    bridgeReadiness({
      stopping: stopping !== null,
      source: source.state,
      partitions: source.assignmentSummary().length,
      kafkaTroubleSince: source.kafkaTroubleSince,
      stalledSince: source.stalledSince,
      writesFailingSince: worker.writesFailingSince,
      writeGraceMs: WRITE_FAILURE_GRACE_MS,
      now: Date.now(),
      troubleGraceMs: 2 * config.kafka.heartbeatIntervalMs,
      readsKafka: mode !== 'nats',
      ...(nats ? { nats: { state: nats.state, troubleSince: nats.troubleSince } } : {})
    })
  const telemetry = await startInstanceTelemetry(
    config,
    {
      hubToken,
      registry: bridgeRegistry(instanceId, worker, source, nats),
      readiness,
      heartbeat: bridgeHeartbeats(processIdentity(instanceId), {
        worker,
        source,
        nats,
        policy,
        capacity: bufferMaxMessages,
        readiness,
        pool: { name: pool.name, group: pool.groupId, topics }
      }),
      onReply: (reply) => followHub(policy, worker, reply)
    },
    log
  )

  const statsTimer =
    config.bridge.statsIntervalMs > 0
      ? setInterval(() => {
          log.info(
            {
              ...worker.stats.snapshot(),
              buffered: worker.buffered,
              partitions: source.assignmentSummary().length,
              ...(nats ? { natsMessages: nats.received, natsUnacknowledged: nats.unacknowledged } : {})
            },
            'bridge stats'
          )
        }, config.bridge.statsIntervalMs).unref()
      : null

  return {
    worker,
    source,
    nats,
    fatal,
    policy,
    telemetry,
    stop(timeoutMs = 15_000) {
      stopping ??= (async () => {
        await telemetry.stop()
        if (statsTimer) clearInterval(statsTimer)
        if (retention) clearInterval(retention)
        const drained = await worker.stop(timeoutMs)
        await producer.close().catch(() => undefined)
        await Promise.all([clickhouse.close(), schema.close()])
        log.info(
          { drained, ...worker.stats.snapshot() },
          drained ? 'bridge stopped cleanly' : 'bridge stopped with batches not inserted'
        )
        return drained
      })()
      return stopping
    }
  }
}

/** Applies the hub's cluster decision (null: hub unreachable, own watermarks only). */
function followHub(policy: CoordinatedPolicy, worker: BridgeWorker, reply: HeartbeatReply | null): void {
  const hold = reply ? reply.backpressure.hold : null
  if (hold === policy.hubHold) return
  policy.hubHold = hold
  const cause =
    hold === null
      ? 'hub unreachable: own watermarks only'
      : hold
        ? `cluster: ${reply?.backpressure.reason ?? 'the hub says hold'}`
        : 'cluster: the hub released'
  worker.reconsiderPressure(cause)
}

const RETENTION_INTERVAL_MS = 3_600_000
/** A bridge with a sliver of the partitions still inserts at least every 16 × BATCH_MAX_AGE_MS. */
const MAX_BATCH_AGE_SCALE = 16
/** A ClickHouse restart takes a few seconds; failing writes for longer make the bridge not ready. */
const WRITE_FAILURE_GRACE_MS = 10_000

/** On servers without TTL: drop expired day partitions now and every hour (harmless when several bridges do it). */
function startRetentionJob(
  clickhouse: ReturnType<typeof createClickHouse>,
  config: Config,
  log: Logger
): NodeJS.Timeout {
  const run = () =>
    void dropExpiredPartitions(clickhouse, config.clickhouse.database, config.clickhouse.retentionDays, log, {
      cluster: config.clickhouse.cluster
    }).catch((error: unknown) => log.warn({ err: error }, 'retention job failed; retrying in an hour'))
  run()
  return setInterval(run, RETENTION_INTERVAL_MS).unref()
}
