/**
 * Drain benchmark: preload M trade messages into fresh topics, start N bridge processes, and time until all
 * rows are in ClickHouse. Prints msg/s and what the drain cost in CPU: CPU-µs per message for the whole
 * machine and per process (bridges summed and each, Kafka, ClickHouse, this process, other), and each
 * bridge's peak RSS. Not part of the test suite.
 *
 * `--runs R` drains the same preloaded topic R times (each run a fresh consumer group and database) and
 * prints the median. `--compare kafka-engine` also drains it, in every run, with ClickHouse's own Kafka
 * engine (a Kafka table, its own consumer group, a materialized view into a table shaped like `trades`),
 * measured the same way; the two alternate which goes first, and each waits for the other's merges.
 *
 * `--clickhouse private` (the default with --compare) runs both peers against a ClickHouse server of the
 * benchmark's own (same binary, temporary home and ports), so the shared server's other clients are not
 * billed to the drain, and the Kafka engine never runs in the shared server: on 18.16 with librdkafka 2.0
 * dropping a Kafka table whose stream had failed aborted the whole server (rdkafka_cgrp.c assert
 * `!rkcg->rkcg_subscription`, seen 2026-11-30). The private server is stopped with SIGTERM at the end.
 *
 *   npm run bench:drain -- --messages 1000000 --bridges 1 [--runs 3] [--compare kafka-engine]
 *                          [--clickhouse private|shared] [--candles off] [--profile /tmp/prof] [--keep]
 */
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createClickHouse, detectCapabilities, type ClickHouseClient } from '../src/clickhouse/client.ts'
import { migrations, statementQuery } from '../src/clickhouse/migrations.ts'
import { createAdmin, createProducer } from '../src/kafka/clients.ts'
import { groupLag } from '../src/kafka/lag.ts'
import { resetGroupOffsets } from '../src/kafka/offset-reset.ts'
import { TradeGenerator } from '../src/sim/market.ts'
import { costPerMessage, CpuMeter, median, table, trackStack, type CpuReport } from './cpu.ts'
import {
  countRows,
  say,
  setUpBench,
  startPrivateClickHouse,
  type Bench,
  type PrivateClickHouse
} from './setup.ts'
import { benchOptions } from './options.ts'

const values = benchOptions({
  messages: { type: 'string', default: '1000000' },
  bridges: { type: 'string', default: '1' },
  symbols: { type: 'string', default: '24' },
  runs: { type: 'string', default: '1' },
  /** `kafka-engine`: drain the same topic with ClickHouse's Kafka engine too, side by side */
  compare: { type: 'string' },
  /** `off`: the bridges do not recompute candles from trades (CANDLES_FROM_TRADES=false) */
  candles: { type: 'string', default: 'on' },
  /** `private`: a ClickHouse server of the benchmark's own (default with --compare); `shared`: the stack's */
  clickhouse: { type: 'string' },
  keep: { type: 'boolean', default: false },
  /** write a V8 CPU profile of each bridge into this directory (open in Chrome DevTools) */
  profile: { type: 'string' }
})
const M = Number(values.messages)
const N = Number(values.bridges)
const R = Number(values.runs)
const compare = values.compare === 'kafka-engine'
const candles = values.candles !== 'off'
const privateClickHouse = (values.clickhouse ?? (compare ? 'private' : 'shared')) === 'private'
if (values.compare !== undefined && !compare) throw new Error('--compare takes `kafka-engine`')
if (values.clickhouse !== undefined && !['private', 'shared'].includes(values.clickhouse))
  throw new Error('--clickhouse takes `private` or `shared`')
if (compare && !privateClickHouse)
  throw new Error(
    '--compare kafka-engine runs only on a private ClickHouse: a Kafka table can abort a 18.16 server when dropped'
  )
if (![M, N, R].every((n) => Number.isInteger(n) && n > 0))
  throw new Error('--messages, --bridges and --runs take whole numbers > 0')

type Peer = 'tickbridge' | 'kafka-engine'

/** A drain that adds no row for this long has failed (e.g. the Kafka engine's view refuses the rows). */
const STALL_MS = 120_000
let keepPrivateHome = false

/** The ClickHouse server both peers write to: the stack's, or a private one. */
interface Target {
  client: ClickHouseClient
  url: string
  server: PrivateClickHouse | null
}
let target: Target

/** Ctrl-C / SIGTERM: the phase under way stops waiting, and cleanup stops what was started. */
const stop = new AbortController()
const checkStopped = () => {
  if (stop.signal.aborted) throw new Error('interrupted')
}

interface PhaseResult {
  peer: Peer
  run: number
  /** until all M rows were queryable (msg/s is M over this) */
  seconds: number
  /**
   * Until the group had committed every offset, which a bridge does only once the rows are written and the
   * candles they touch recomputed: the CPU window ends here, so deferred candle work is billed to the run.
   * The Kafka engine computes no candles: its rows are its end.
   */
  committedSeconds: number
  msgPerSec: number
  cpu: CpuReport
  /** system.events deltas of the ClickHouse server over the window (server-wide) */
  events: ServerEvents
}

const EVENTS = ['MergeTreeDataWriterBlocks', 'InsertQuery', 'SelectQuery', 'MergedRows'] as const
type ServerEvents = Record<(typeof EVENTS)[number], number>

async function serverEvents(): Promise<ServerEvents> {
  const events = Object.fromEntries(EVENTS.map((e) => [e, 0])) as ServerEvents
  const rows = await target.client
    .query({
      query: `SELECT event, value FROM system.events WHERE event IN (${EVENTS.map((e) => `'${e}'`).join(',')})`,
      format: 'JSONEachRow'
    })
    .then((r) => r.json<{ event: string; value: string }>())
    .catch(() => [])
  for (const { event, value } of rows) events[event as keyof ServerEvents] = Number(value)
  return events
}

function eventsSince(before: ServerEvents, after: ServerEvents): ServerEvents {
  return Object.fromEntries(EVENTS.map((e) => [e, after[e] - before[e]])) as ServerEvents
}

async function preload({ config }: Bench): Promise<void> {
  const symbols = Array.from({ length: Number(values.symbols) }, (_, i) => `SYM${i}USDT`)
  const generator = new TradeGenerator({ exchange: 'bench', symbols, seed: 1 })
  const producer = createProducer(config.kafka, 'tickbridge-bench')
  const started = Date.now()
  const now = Date.now() - 3_600_000
  try {
    for (let sent = 0; sent < M;) {
      checkStopped()
      const size = Math.min(4000, M - sent)
      const messages = Array.from({ length: size }, (_, i) => {
        const { key, message } = generator.next(now + Math.floor((sent + i) / 100))
        return { topic: config.topics.trades, key, value: JSON.stringify(message) }
      })
      await producer.send({ messages })
      sent += size
      if (sent % 200_000 < 4000)
        say(`  preloaded ${sent.toLocaleString('en-US')} / ${M.toLocaleString('en-US')}`)
    }
  } finally {
    await producer.close()
  }
  const seconds = (Date.now() - started) / 1000
  say(
    `preload: ${M.toLocaleString('en-US')} messages in ${seconds.toFixed(1)} s (${Math.round(M / seconds).toLocaleString('en-US')} msg/s producer)`
  )
}

/** Polls `SELECT count()` every 200 ms until it reaches M (gives up after 30 minutes). */
async function waitForRows(table: string, started: number, onPoll?: () => void): Promise<void> {
  let rows = 0
  let lastReport = started
  let lastProgress = { rows: 0, at: started }
  while (rows < M) {
    await sleep(200)
    checkStopped()
    onPoll?.()
    rows = await countRows(target.client, `SELECT count() AS n FROM ${table}`)
    const now = Date.now()
    if (rows > lastProgress.rows) lastProgress = { rows, at: now }
    if (now - lastReport > 5000) {
      lastReport = now
      say(`  ${rows.toLocaleString('en-US')} rows after ${((now - started) / 1000).toFixed(1)} s`)
    }
    if (now - lastProgress.at > STALL_MS) {
      const errorLog = target.server
        ? `; the private server's log: ${join(target.server.home, 'clickhouse', 'log', 'clickhouse-server.err.log')} (kept)`
        : ''
      if (target.server) keepPrivateHome = true
      throw new Error(
        `no new rows in ${table} for ${STALL_MS / 1000} s (stuck at ${rows.toLocaleString('en-US')})${errorLog}`
      )
    }
  }
}

/** Polls the group's committed offsets every 200 ms until they cover the whole topic (gives up after 2 minutes). */
async function waitForCommitted(bench: Bench, groupId: string, onPoll: () => void): Promise<void> {
  const admin = createAdmin(bench.config.kafka)
  try {
    const deadline = Date.now() + 120_000
    for (;;) {
      checkStopped()
      onPoll()
      const lag = (await groupLag(admin, groupId, [bench.config.topics.trades])).reduce(
        (sum, p) => sum + p.lag,
        0n
      )
      if (lag === 0n) return
      if (Date.now() > deadline)
        throw new Error(`group ${groupId} still ${lag} offsets behind 2 minutes after the last row`)
      await sleep(200)
    }
  } finally {
    await admin.close()
  }
}

/** Waits until ClickHouse runs no merge in `database` (at most 2 minutes), so one peer's merges do not bill the next. */
async function settle(database: string): Promise<void> {
  const deadline = Date.now() + 120_000
  while (Date.now() < deadline && !stop.signal.aborted) {
    const merging = await countRows(
      target.client,
      `SELECT count() AS n FROM system.merges WHERE database = '${database}'`
    )
    if (merging === 0) break
    await sleep(500)
  }
  await sleep(1000)
}

function meterFor(bench: Bench): CpuMeter {
  const server = target.server
  return trackStack(new CpuMeter(1000), bench.config.stack.home, {
    warn: say,
    clickhouse: server ? () => server.pid : undefined,
    clickhouseData: server ? join(server.home, 'clickhouse', 'data') : undefined
  })
}

async function drainWithBridges(bench: Bench, run: number): Promise<PhaseResult> {
  const database = `${bench.config.clickhouse.database}_r${run}`
  const groupId = `${bench.config.bridge.groupId}-r${run}`
  if (!target.server) bench.extraDatabases.push(database)
  bench.extraGroups.push(groupId)
  const eventsBefore = await serverEvents()
  const meter = meterFor(bench).start()
  const started = Date.now()
  const bridges = bench.startBridges(N, values.profile, {
    CLICKHOUSE_DATABASE: database,
    BRIDGE_GROUP_ID: groupId,
    CANDLES_FROM_TRADES: String(candles),
    CLICKHOUSE_URL: target.url,
    // The stack's ClickHouse may be the local cluster (TICKBRIDGE_CLUSTER): its tables are Distributed.
    CLICKHOUSE_CLUSTER: target.server ? '' : bench.config.clickhouse.cluster
  })
  bridges.forEach((b, i) => meter.track({ name: `bridge-${i + 1}`, group: 'bridges', pids: () => b.pid }))
  await waitForRows(`${database}.trades`, started, () => meter.sample())
  const seconds = (Date.now() - started) / 1000
  await waitForCommitted(bench, groupId, () => meter.sample())
  const committedSeconds = (Date.now() - started) / 1000
  const cpu = meter.stop()
  const events = eventsSince(eventsBefore, await serverEvents())
  await bench.stopBridges()
  await settle(database)
  return { peer: 'tickbridge', run, seconds, committedSeconds, msgPerSec: M / seconds, cpu, events }
}

/**
 * ClickHouse's Kafka engine on the same topic: a Kafka table (JSONEachRow, its own group, one consumer per
 * bridge), a materialized view into a ReplacingMergeTree shaped exactly like `trades`. 18.16's JSONEachRow
 * rejects quoted decimals for Decimal columns, so the Kafka table reads price and amount as String and the
 * view converts them with toDecimal128(x, 18) (exact, no float); `inserted_at` (MATERIALIZED now() in
 * `trades`) must be selected too, 18.16 refuses the view without it. 18.16 starts a new group at the end of
 * the topic (librdkafka's default auto.offset.reset), so the group's offsets are committed at the beginning
 * first, while it has no member. Blocks are 18.16's default (max_block_size, 65,536 rows, or what arrived
 * within stream_flush_interval_ms). Afterwards only the view is dropped (streaming stops); the Kafka table
 * and its idle consumers go with the private server.
 */
async function drainWithKafkaEngine(bench: Bench, run: number): Promise<PhaseResult> {
  const database = `${bench.config.clickhouse.database}_ke${run}`
  const groupId = `${bench.config.bridge.groupId}-ke${run}`
  bench.extraGroups.push(groupId)
  const ch = target.client
  const capabilities = await detectCapabilities(ch)
  await ch.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` })
  const [tradesDdl] = migrations[0]!.statements({ database, capabilities, retentionDays: 90, cluster: '' })
  await ch.command({
    query: statementQuery(tradesDdl!).replace(`${database}.trades (`, `${database}.trades_ke (`)
  })
  const admin = createAdmin(bench.config.kafka)
  await resetGroupOffsets(admin, groupId, [bench.config.topics.trades], { kind: 'earliest' }).finally(() =>
    admin.close()
  )
  const eventsBefore = await serverEvents()
  const meter = meterFor(bench).start()
  const started = Date.now()
  await ch.command({
    query: `CREATE TABLE ${database}.kafka_trades (
  exchange String, symbol String, id String, price String, amount String, side String, ts UInt64, recv_ts UInt64
) ENGINE = Kafka SETTINGS
  kafka_broker_list = '${bench.config.kafka.brokers.join(',')}',
  kafka_topic_list = '${bench.config.topics.trades}',
  kafka_group_name = '${groupId}',
  kafka_format = 'JSONEachRow',
  kafka_row_delimiter = '\\n',
  kafka_num_consumers = ${Math.min(N, bench.config.topics.partitions)}`
  })
  await ch.command({
    query: `CREATE MATERIALIZED VIEW ${database}.kafka_trades_mv TO ${database}.trades_ke AS
SELECT exchange, symbol, id, toDecimal128(price, 18) AS price, toDecimal128(amount, 18) AS amount,
  CAST(side AS Enum8('unknown' = 0, 'buy' = 1, 'sell' = 2)) AS side, ts, recv_ts, now() AS inserted_at
FROM ${database}.kafka_trades`
  })
  await waitForRows(`${database}.trades_ke`, started, () => meter.sample())
  const seconds = (Date.now() - started) / 1000
  const cpu = meter.stop()
  const events = eventsSince(eventsBefore, await serverEvents())
  // Without a view the Kafka table stops streaming. It is not dropped (see above).
  await ch.command({ query: `DROP TABLE IF EXISTS ${database}.kafka_trades_mv` })
  await settle(database)
  return {
    peer: 'kafka-engine',
    run,
    seconds,
    committedSeconds: seconds,
    msgPerSec: M / seconds,
    cpu,
    events
  }
}

const fmt = (n: number | null | undefined, digits = 0) =>
  n === null || n === undefined || !Number.isFinite(n)
    ? '—'
    : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })

const groupsShown = ['bridges', 'kafka', 'clickhouse', 'bench', 'other'] as const

interface Summary {
  peer: Peer
  run: number | 'median'
  seconds: number
  committedSeconds: number
  msgPerSec: number
  machineUsPerMsg: number
  /** bridges + kafka + clickhouse + bench: the machine without `other` */
  pipelineUsPerMsg: number
  groupsUsPerMsg: Record<string, number>
  bridgesUsPerMsg: number[]
  peakRssMb: number[]
  machineBusyPct: number
  /** parts ClickHouse wrote in the window (all tables; server-wide) */
  partsWritten: number
}

function summarize(result: PhaseResult): Summary {
  const cost = costPerMessage(result.cpu, M)
  const bridges = cost.processes.filter((p) => p.name.startsWith('bridge-'))
  return {
    peer: result.peer,
    run: result.run,
    seconds: Number(result.seconds.toFixed(2)),
    committedSeconds: Number(result.committedSeconds.toFixed(2)),
    msgPerSec: Math.round(result.msgPerSec),
    machineUsPerMsg: cost.machineUsPerMsg ?? NaN,
    pipelineUsPerMsg: Number(
      groupsShown
        .filter((g) => g !== 'other')
        .reduce((sum, g) => sum + (cost.groupsUsPerMsg[g] ?? 0), 0)
        .toFixed(1)
    ),
    groupsUsPerMsg: Object.fromEntries(groupsShown.map((g) => [g, cost.groupsUsPerMsg[g] ?? 0])),
    bridgesUsPerMsg: bridges.map((p) => p.usPerMsg ?? NaN),
    peakRssMb: bridges.map((p) => p.peakRssMb ?? NaN),
    machineBusyPct: cost.machineBusyPct ?? NaN,
    partsWritten: result.events.MergeTreeDataWriterBlocks
  }
}

function medianOf(peer: Peer, rows: Summary[]): Summary {
  const of = (pick: (s: Summary) => number) => median(rows.map(pick))
  const round1 = (n: number) => Number(n.toFixed(1))
  return {
    peer,
    run: 'median',
    seconds: Number(of((s) => s.seconds).toFixed(2)),
    committedSeconds: Number(of((s) => s.committedSeconds).toFixed(2)),
    msgPerSec: Math.round(of((s) => s.msgPerSec)),
    machineUsPerMsg: round1(of((s) => s.machineUsPerMsg)),
    pipelineUsPerMsg: round1(of((s) => s.pipelineUsPerMsg)),
    groupsUsPerMsg: Object.fromEntries(
      groupsShown.map((g) => [g, round1(of((s) => s.groupsUsPerMsg[g] ?? 0))])
    ),
    bridgesUsPerMsg: (rows[0]?.bridgesUsPerMsg ?? []).map((_, i) =>
      round1(of((s) => s.bridgesUsPerMsg[i] ?? NaN))
    ),
    peakRssMb: (rows[0]?.peakRssMb ?? []).map((_, i) => of((s) => s.peakRssMb[i] ?? NaN)),
    machineBusyPct: round1(of((s) => s.machineBusyPct)),
    partsWritten: of((s) => s.partsWritten)
  }
}

function printTable(rows: Summary[]): void {
  const header = [
    '',
    'run',
    'seconds',
    'committed s',
    'msg/s',
    'machine µs/msg',
    'pipeline µs/msg',
    ...groupsShown,
    ...(N > 1 ? Array.from({ length: N }, (_, i) => `bridge-${i + 1}`) : []),
    'peak RSS/bridge',
    'machine busy',
    'parts written'
  ]
  say(
    table([
      header,
      ...rows.map((s) => [
        s.peer,
        String(s.run),
        fmt(s.seconds, 1),
        fmt(s.committedSeconds, 1),
        fmt(s.msgPerSec),
        fmt(s.machineUsPerMsg, 1),
        fmt(s.pipelineUsPerMsg, 1),
        ...groupsShown.map((g) =>
          s.peer === 'kafka-engine' && g === 'bridges' ? '—' : fmt(s.groupsUsPerMsg[g], 1)
        ),
        ...(N > 1
          ? Array.from({ length: N }, (_, i) =>
              s.peer === 'tickbridge' ? fmt(s.bridgesUsPerMsg[i], 1) : '—'
            )
          : []),
        s.peakRssMb.length ? `${s.peakRssMb.map((r) => fmt(r)).join('/')} MB` : '—',
        `${fmt(s.machineBusyPct)} %`,
        fmt(s.partsWritten)
      ])
    ])
  )
}

const bench = await setUpBench('drain')
say(
  `drain benchmark: ${M.toLocaleString('en-US')} trades, ${N} bridge(s), ${bench.config.topics.partitions} partitions, ` +
    `candles from trades ${candles ? 'on' : 'off'}, ${R} run(s)${compare ? ', compared with ClickHouse’s Kafka engine' : ''}`
)
const onSignal = () => {
  say('\ninterrupted: stopping the bridges and cleaning up ...')
  stop.abort()
}
process.once('SIGINT', onSignal).once('SIGTERM', onSignal)
let server: PrivateClickHouse | null = null
target = { client: bench.clickhouse, url: bench.config.clickhouse.urls.join(','), server: null }
const results: PhaseResult[] = []
try {
  if (privateClickHouse) {
    server = await startPrivateClickHouse('drain')
    target = {
      client: createClickHouse({
        ...bench.config.clickhouse,
        url: server.url,
        urls: [server.url],
        cluster: ''
      }),
      url: server.url,
      server
    }
    say(`private ClickHouse (pid ${server.pid}) on ${server.url}, home ${server.home}`)
  }
  await preload(bench)
  for (let run = 1; run <= R && !stop.signal.aborted; run++) {
    const order: Peer[] = !compare
      ? ['tickbridge']
      : run % 2
        ? ['tickbridge', 'kafka-engine']
        : ['kafka-engine', 'tickbridge']
    for (const peer of order) {
      if (stop.signal.aborted) break
      say(`run ${run}/${R}: ${peer} ...`)
      const result = await (peer === 'tickbridge'
        ? drainWithBridges(bench, run)
        : drainWithKafkaEngine(bench, run))
      results.push(result)
      const s = summarize(result)
      say(
        `  ${peer}: ${fmt(M)} messages in ${fmt(s.seconds, 1)} s = ${fmt(s.msgPerSec)} msg/s; ` +
          `CPU ${fmt(s.machineUsPerMsg, 1)} µs/msg machine = ` +
          groupsShown
            .filter((g) => s.groupsUsPerMsg[g])
            .map((g) => `${g} ${fmt(s.groupsUsPerMsg[g], 1)}`)
            .join(' + ')
      )
    }
  }
  const rows = results.map(summarize)
  const peers: Peer[] = compare ? ['tickbridge', 'kafka-engine'] : ['tickbridge']
  const medians = peers.map((peer) =>
    medianOf(
      peer,
      rows.filter((r) => r.peer === peer)
    )
  )
  say(
    `\ndrain of ${fmt(M)} trades, ${N} bridge(s); CPU in µs per message (CPU-seconds × 10⁶ / messages); ` +
      `${results[0]?.cpu.cores ?? '?'} cores, clock tick ${results[0]?.cpu.clockTick ?? '?'}`
  )
  printTable([
    ...peers.flatMap((peer) => [
      ...rows.filter((r) => r.peer === peer),
      ...medians.filter((m) => m.peer === peer)
    ])
  ])
  say(
    '\nseconds = until all rows were queryable (msg/s = messages / seconds); committed s = until the group had ' +
      'committed every offset (after the candles those rows touch were recomputed): the window of the CPU figures; ' +
      'machine = every busy jiffy of the machine in the window; pipeline = bridges + kafka + clickhouse + bench ' +
      '(the steadier figure on a shared machine); bridges = the bridge processes; kafka, clickhouse = the servers ' +
      `(${target.server ? 'ClickHouse: the private server, only this benchmark; Kafka: shared' : 'shared'}: other ` +
      'clients of a shared server are billed to it too); bench = this process (it polls count(); the preload is ' +
      'outside the window); other = machine − all of these (other work on the machine); parts written = ' +
      'MergeTreeDataWriterBlocks in system.events of that ClickHouse server (every table, candles included).'
  )
  if (compare)
    say(
      'kafka-engine: ClickHouse 18.16 consumes the topic itself (Kafka table, JSONEachRow, materialized view ' +
        'into a ReplacingMergeTree shaped like trades). Its Kafka table reads price/amount as String (18.16 ' +
        'rejects quoted decimals) and the view converts them exactly with toDecimal128(x, 18). It does not ' +
        'validate messages (a malformed one stops the stream until skipped), has no dead-letter topic, no ' +
        'candles, no backpressure, no per-batch dedup token, no hub; it squashes what it reads into blocks of up to ' +
        '1,048,576 rows (min_insert_block_size_rows) flushed at least every 7.5 s (stream_flush_interval_ms), so ' +
        'it writes few, large parts and its rows become visible seconds late. tickbridge with ' +
        `candles ${candles ? 'on (it also recomputes 1m..1d candles from every batch)' : 'off'}.`
    )
  console.log(
    JSON.stringify({
      benchmark: 'drain',
      date: new Date().toISOString(),
      messages: M,
      bridges: N,
      partitions: bench.config.topics.partitions,
      candles,
      cores: results[0]?.cpu.cores,
      clockTick: results[0]?.cpu.clockTick,
      runs: results.map((r) => ({
        peer: r.peer,
        run: r.run,
        seconds: Number(r.seconds.toFixed(2)),
        committedSeconds: Number(r.committedSeconds.toFixed(2)),
        msgPerSec: Math.round(r.msgPerSec),
        clickhouseEvents: r.events,
        ...costPerMessage(r.cpu, M)
      })),
      median: Object.fromEntries(medians.map((m) => [m.peer, m]))
    })
  )
} catch (error) {
  if (!stop.signal.aborted) throw error
  process.exitCode = 130
} finally {
  process.off('SIGINT', onSignal).off('SIGTERM', onSignal)
  await bench.stopBridges()
  if (server) {
    await target.client.close()
    await server.stop({ keepHome: keepPrivateHome }) // before the groups go: its Kafka tables are members
  }
  await bench.cleanup(values.keep)
}
