import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { createClickHouse, type ClickHouseClient } from '../clickhouse/client.ts'
import type { Config } from '../config/types.ts'
import { TableNames } from '../core/rows.ts'
import { topicForType } from '../kafka/topics.ts'
import { sendPaced } from '../sim/kafka-load.ts'
import {
  LOAD_EXCHANGE,
  LoadMessages,
  loadSymbolPrefix,
  loadSymbols,
  type LoadType
} from '../sim/load-messages.ts'
import type { LoadClient } from '../sim/kcat-sender.ts'
import { openTransport, type Via } from '../sim/load-transport.ts'
import { startShareProbe, type RunShares } from './load-shares.ts'
import { VisibilityTracker } from './visibility.ts'

/**
 * `tickbridge loadtest`: sends a known number of canonical messages at a rate into the running pipeline and
 * measures, from ClickHouse, when every one of them is queryable (docs/benchmarks.md#loadtest).
 */
export interface LoadTestOptions {
  messages: number
  rate: number
  via: Via
  /** Who produces to Kafka (ignored with NATS): kcat, this process, or kcat where installed (`auto`). */
  loadClient?: LoadClient
  types: LoadType[]
  /** Distinct symbols (keys), spread over the partitions. */
  symbols: number
  /** How long to wait for the last rows after the last send. */
  timeoutMs: number
  hubUrl: string
  pollMs?: number
  signal?: AbortSignal
}

export type LoadTestPhase = 'sending' | 'waiting'

export interface LoadTestProgress {
  phase: LoadTestPhase
  sent: number
  queryable: number
  total: number
  elapsedMs: number
}

export interface LoadTestResult extends RunShares {
  runId: string
  via: Via
  /** Who produced: kcat, this process (`node`), or NATS. */
  loadClient: 'kcat' | 'node' | 'nats'
  types: LoadType[]
  messages: number
  targetRate: number
  sent: number
  /** Until the last batch was handed to the producer (it keeps pace: messages / rate). */
  sendSeconds: number
  /** Until the last batch was acknowledged (with kcat: until kcat delivered everything and exited). */
  ackSeconds: number
  /** The rate the producer kept: sent / sendSeconds, msg/s. */
  rate: number
  queryable: number
  missing: number
  /** From the first message's recv_ts until the last one was queryable (null while some are missing). */
  allQueryableSeconds: number | null
  /** From the last acknowledged send until the last one was queryable. */
  afterLastSendSeconds: number | null
  latencyMs: { p50: number; p90: number; p99: number; max: number }
  passed: boolean
}

const POLL_MS = 50

export async function runLoadTest(
  config: Config,
  options: LoadTestOptions,
  onProgress: (progress: LoadTestProgress) => void = () => undefined
): Promise<LoadTestResult> {
  const runId = randomBytes(3).toString('hex')
  const topicFor = (type: LoadType) => topicForType(config.topics, type)
  const topics = [...new Set(options.types.map(topicFor))]
  const transport = await openTransport(
    config,
    options.via,
    `tickbridge-loadtest-${runId}`,
    topics,
    options.loadClient ?? 'auto'
  )
  const clickhouse = createClickHouse(config.clickhouse)
  try {
    const byPartition = new Map(transport.partitions.map((p) => [p, 0]))
    const probe = await startShareProbe(config, options.hubUrl, transport, topics, byPartition)
    const keyTopic = topicFor(options.types[0] as LoadType)
    const symbols = loadSymbols(runId, options.symbols, {
      bucketOf: (key) => transport.partitionOf({ topic: keyTopic, key, value: '' }),
      buckets: transport.partitions.filter((p) => p.startsWith(`${keyTopic}:`)).length
    })
    const generator = new LoadMessages({ types: options.types, symbols, topicFor })
    const tracker = new VisibilityTracker()
    const stopPolling = new AbortController()
    options.signal?.addEventListener('abort', () => stopPolling.abort(), { once: true })
    const started = Date.now()
    let sent = 0
    let sending = true
    let lastSentAt = started
    const report = () =>
      onProgress({
        phase: sending ? 'sending' : 'waiting',
        sent,
        queryable: tracker.seen,
        total: options.messages,
        elapsedMs: Date.now() - started
      })
    const poller = pollVisibility(clickhouse, config.clickhouse.database, runId, options.types, tracker, {
      pollMs: options.pollMs ?? POLL_MS,
      done: () => !sending && tracker.missing === 0,
      deadline: () => (sending ? Number.POSITIVE_INFINITY : lastSentAt + options.timeoutMs),
      onPoll: report,
      signal: stopPolling.signal
    })
    const paced = await sendPaced(
      (records) => transport.send(records),
      (max, now) => {
        const batch = generator.batch(max, now)
        for (const [type, n] of Object.entries(batch.byType))
          tracker.expect(TableNames[type as LoadType], now, n)
        for (const record of batch.records) {
          const partition = transport.partitionOf(record)
          if (partition !== null) byPartition.set(partition, (byPartition.get(partition) ?? 0) + 1)
        }
        return batch.records
      },
      {
        rate: options.rate,
        count: options.messages,
        maxBatch: 10_000,
        tickMs: 10,
        ...(options.signal ? { signal: options.signal } : {}),
        onSent: (total) => {
          sent = total
          lastSentAt = Date.now()
        }
      }
    )
      .then(async (result) => {
        // kcat's sends return once it took the records: the sending ends when it has delivered them.
        await transport.flush()
        lastSentAt = Date.now()
        return result
      })
      .catch(async (error: unknown) => {
        stopPolling.abort()
        await poller
        throw error
      })
      .finally(() => (sending = false))
    report()
    await poller
    report()
    const shares = await probe.finish(paced.sent)
    const [p50, p90, p99, max] = tracker.percentiles([50, 90, 99, 100]) as [number, number, number, number]
    const done = tracker.lastSeenAt
    const complete = tracker.missing === 0 && done !== null
    return {
      runId,
      via: options.via,
      loadClient: transport.client,
      types: options.types,
      messages: options.messages,
      targetRate: options.rate,
      sent: paced.sent,
      sendSeconds: round(paced.dispatchSeconds, 3),
      ackSeconds: round((lastSentAt - started) / 1000, 3),
      rate: Math.round(paced.sent / Math.max(paced.dispatchSeconds, 0.001)),
      queryable: tracker.seen,
      missing: options.messages - tracker.seen,
      allQueryableSeconds: complete ? round((done - started) / 1000, 3) : null,
      afterLastSendSeconds: complete ? round(Math.max(0, done - lastSentAt) / 1000, 3) : null,
      latencyMs: { p50, p90, p99, max },
      ...shares,
      passed: complete && paced.sent === options.messages
    }
  } finally {
    await transport.close().catch(() => undefined)
    await clickhouse.close()
  }
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits

/**
 * Polls the run's rows per (table, recv_ts) until every message is seen, `deadline()` passes or the run is
 * aborted. A failed poll (ClickHouse busy) is just retried at the next interval.
 */
async function pollVisibility(
  clickhouse: ClickHouseClient,
  database: string,
  runId: string,
  types: LoadType[],
  tracker: VisibilityTracker,
  options: {
    pollMs: number
    done: () => boolean
    deadline: () => number
    onPoll: () => void
    signal?: AbortSignal
  }
): Promise<void> {
  const tables = [...new Set(types.map((t) => TableNames[t]))]
  const prefix = loadSymbolPrefix(runId) // hex run id: nothing to escape
  while (!options.done() && Date.now() < options.deadline() && !options.signal?.aborted) {
    const polled = Date.now()
    for (const table of tables) {
      const oldest = tracker.oldestPending(table)
      if (oldest === null) continue
      // Rows this query finds were queryable when it began (its snapshot), not when its answer arrived.
      const asked = Date.now()
      const counts = await clickhouse
        .query({
          query:
            `SELECT recv_ts, count() AS n FROM ${database}.${table} ` +
            `WHERE exchange = '${LOAD_EXCHANGE}' AND symbol LIKE '${prefix}%' AND recv_ts >= ${oldest} ` +
            'GROUP BY recv_ts',
          format: 'JSONEachRow'
        })
        .then((r) => r.json<{ recv_ts: string | number; n: string | number }>())
        .catch(() => [])
      tracker.observe(
        table,
        counts.map((c) => ({ recvTs: Number(c.recv_ts), rows: Number(c.n) })),
        asked
      )
    }
    options.onPoll()
    await sleep(Math.max(1, options.pollMs - (Date.now() - polled)))
  }
}
