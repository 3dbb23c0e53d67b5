/**
 * Latency benchmark: trades are produced at a steady rate (default 50,000 msg/s) by `--producers` child
 * processes (bench/load-producer.ts; default one per 25,000 msg/s), so the load generator is not the
 * bottleneck and does not share this process's event loop. 50 times a second this process produces a probe
 * trade (its own producer) with recv_ts = now; a poller asks ClickHouse every 10 ms which probes are visible,
 * so each probe's latency is (start of the first query that saw it) - recv_ts (--poll-ms sets the pause between
 * polls; the queries' own duration is printed apart). Prints the rate the producers reached,
 * p50/p90/p99/max, and the CPU the window cost (per process, in % of one core and in CPU-µs per message).
 * `--warmup` (5): seconds of load before the probes and the CPU window start (the first second after the bridges
 * meet the load is a start, not the steady state). `--tick-ms` (10): how often each producer sends what is due
 * (one produce request per tick). `--load-client` (auto): kcat when it is on PATH and the brokers speak PLAINTEXT
 * (a quarter of the CPU), else the project's producer (`node`); see bench/load-producer.ts. A kcat's CPU counts
 * in its producer's row.
 *
 *   npm run bench:latency -- --rate 50000 --seconds 30 --bridges 1 [--warmup 5] [--producers 2] [--poll-ms 10] [--tick-ms 10] [--load-client auto|kcat|node] [--probes-out FILE]
 */
import { fork, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { localTable } from '../src/clickhouse/cluster-ddl.ts'
import { messageKey, type TradeMessage } from '../src/core/messages.ts'
import { createAdmin, createProducer } from '../src/kafka/clients.ts'
import { describeGroupAssignment } from '../src/kafka/group.ts'
import { corePercent, costPerMessage, CpuMeter, table, trackStack } from './cpu.ts'
import { queryCpu, queryCpuTable } from './clickhouse-logs.ts'
import { countRows, percentile, say, setUpBench } from './setup.ts'
import { benchOptions } from './options.ts'

const values = benchOptions({
  rate: { type: 'string', default: '50000' },
  seconds: { type: 'string', default: '30' },
  bridges: { type: 'string', default: '1' },
  producers: { type: 'string' },
  'poll-ms': { type: 'string', default: '10' },
  'tick-ms': { type: 'string', default: '10' },
  warmup: { type: 'string', default: '5' },
  'load-client': { type: 'string', default: 'auto' },
  keep: { type: 'boolean', default: false },
  'probes-out': { type: 'string' }
})
const rate = Number(values.rate)
const seconds = Number(values.seconds)
const warmupSeconds = Number(values.warmup)
const N = Number(values.bridges)
const producers = Number(values.producers ?? Math.max(1, Math.ceil(rate / 25_000)))
const PROBE_EVERY_MS = 20
/** The pause between two polls for probes: the resolution of "first seen", and queries/s on ClickHouse. */
const POLL_MS = Number(values['poll-ms'])
const loadScript = fileURLToPath(new URL('./load-producer.js', import.meta.url))

interface LoadChild {
  child: ChildProcess
  /** what produces: `kcat` (a kcat child of `child`, its pid) or `node` */
  client: string
  kcatPid?: number
  sent: number
  seconds: number
  done: Promise<void>
  ready: Promise<void>
}

function startLoad(vars: Record<string, string>, topic: string, index: number): LoadChild {
  const child = fork(
    loadScript,
    [
      '--topic',
      topic,
      '--rate',
      String(rate / producers),
      '--seconds',
      String(warmupSeconds + seconds),
      '--exchange',
      `bench-${index + 1}`,
      '--seed',
      String(index + 2),
      '--tick-ms',
      values['tick-ms'],
      '--client',
      values['load-client']
    ],
    { env: { ...process.env, ...vars }, stdio: ['ignore', 2, 2, 'ipc'] }
  )
  const load: LoadChild = {
    child,
    client: '?',
    sent: 0,
    seconds: 0,
    done: Promise.resolve(),
    ready: Promise.resolve()
  }
  type Report = { type: string; sent?: number; seconds?: number; client?: string; kcatPid?: number }
  load.ready = new Promise((resolve, reject) => {
    child.on('message', (m: Report) => {
      if (m.type === 'ready') {
        load.client = m.client ?? '?'
        load.kcatPid = m.kcatPid
        resolve()
      }
      if (m.type === 'progress' || m.type === 'done') load.sent = m.sent ?? load.sent
      if (m.type === 'done') load.seconds = m.seconds ?? 0
    })
    child.once('exit', (code) =>
      reject(new Error(`load producer ${index + 1} exited (${code}) before ready`))
    )
  })
  // A producer that exits without its report (kcat or Kafka failed) makes the run's figures meaningless.
  load.done = new Promise((resolve, reject) => {
    const settle = (code: number | null) =>
      load.seconds > 0
        ? resolve()
        : reject(new Error(`load producer ${index + 1} exited (${code}) before it finished`))
    if (child.exitCode !== null) settle(child.exitCode)
    else child.once('close', settle)
  })
  return load
}

const bench = await setUpBench('latency')
const db = bench.config.clickhouse.database
const loads: LoadChild[] = []
const stop = new AbortController()
const onSignal = () => {
  say('\ninterrupted: stopping the producers and bridges, cleaning up ...')
  stop.abort()
}
process.once('SIGINT', onSignal).once('SIGTERM', onSignal)
try {
  const bridges = bench.startBridges(N)
  const admin = createAdmin(bench.config.kafka)
  for (let i = 0; i < 120 && !stop.signal.aborted; i++) {
    const group = await describeGroupAssignment(admin, bench.config.bridge.groupId).catch(() => null)
    if (group && group.members.length === N && group.members.every((m) => m.partitions.length > 0)) break
    await sleep(500)
  }
  await admin.close()
  for (let i = 0; i < producers; i++) loads.push(startLoad(bench.vars, bench.config.topics.trades, i))
  await Promise.all(loads.map((l) => l.ready))
  say(
    `latency benchmark: ${rate.toLocaleString('en-US')} msg/s for ${seconds} s from ${producers} producer process(es) (${loads.map((l) => l.client).join(', ')}) into ${N} bridge(s)`
  )

  const meter = trackStack(new CpuMeter(1000), bench.config.stack.home, { warn: say })
  bridges.forEach((b, i) => meter.track({ name: `bridge-${i + 1}`, group: 'bridges', pids: () => b.pid }))
  loads.forEach((l, i) =>
    meter.track({
      name: `load-${i + 1}`,
      group: 'load',
      pids: () => [l.child.pid, l.kcatPid].filter((p) => p !== undefined)
    })
  )

  const probes = new Map<string, number>() // id -> recv_ts, until seen
  /** Each seen probe's recv_ts and latency (ms); `--probes-out` writes them (where in the run the slow ones were). */
  const seenProbes: Array<{ recvTs: number; latencyMs: number }> = []
  /** How long each poll query took (its answer's delay, left out of the latencies). */
  const pollMs: number[] = []
  let running = true
  const poller = (async () => {
    while ((running || probes.size > 0) && !stop.signal.aborted) {
      if (probes.size > 0) {
        const ids = [...probes.keys()].map((id) => `'${id}'`).join(',')
        // A probe this query finds was queryable when the query began (its snapshot), not when the answer came
        // back: the time the query itself takes on a busy server is the benchmark's, not the pipeline's.
        const asked = Date.now()
        const seen = await bench.clickhouse
          .query({
            query: `SELECT id FROM ${db}.trades WHERE exchange = 'probe' AND id IN (${ids})`,
            format: 'JSONEachRow'
          })
          .then((r) => r.json<{ id: string }>())
          .catch(() => [])
        pollMs.push(Date.now() - asked)
        for (const { id } of seen) {
          const recvTs = probes.get(id)
          if (recvTs !== undefined) seenProbes.push({ recvTs, latencyMs: asked - recvTs })
          probes.delete(id)
        }
      }
      await sleep(POLL_MS)
    }
  })()

  const probeProducer = createProducer(bench.config.kafka, 'tickbridge-latency-probe')
  for (const l of loads) l.child.send({ type: 'go' })
  // The load runs through the warm-up before probes and the CPU window start: the first second after the
  // bridges meet the load was measured at 150-400 ms (docs/benchmarks.md), a start, not the steady state.
  if (warmupSeconds > 0) say(`warming up for ${warmupSeconds} s at the full rate ...`)
  await sleep(warmupSeconds * 1000, undefined, { signal: stop.signal }).catch(() => undefined)
  meter.start()
  const windowStart = new Date()
  const started = Date.now()
  /** What the producers had sent when the window began (their reports, every 500 ms). */
  const sentBeforeWindow = loads.reduce((sum, l) => sum + l.sent, 0)
  let probeId = 0
  let skipped = 0
  let inflight: Promise<unknown> | null = null
  while (Date.now() - started < seconds * 1000 && !stop.signal.aborted) {
    const tick = Date.now()
    if (inflight) skipped++
    else {
      const probe: TradeMessage = {
        v: 1,
        type: 'trade',
        exchange: 'probe',
        symbol: `P${probeId % 6}`,
        id: String(++probeId),
        price: '1.0',
        amount: '1',
        side: 'buy',
        ts: tick,
        recv_ts: tick
      }
      probes.set(probe.id, probe.recv_ts)
      inflight = probeProducer
        .send({
          messages: [
            { topic: bench.config.topics.trades, key: messageKey(probe), value: JSON.stringify(probe) }
          ]
        })
        .finally(() => (inflight = null))
    }
    await sleep(Math.max(1, PROBE_EVERY_MS - (Date.now() - tick)))
  }
  if (stop.signal.aborted) for (const l of loads) l.child.kill('SIGTERM')
  await Promise.all(loads.map((l) => l.done))
  const cpu = meter.stop()
  const windowEnd = new Date()
  await inflight
  await probeProducer.close()
  running = false
  const deadline = Date.now() + 60_000
  while (probes.size > 0 && Date.now() < deadline && !stop.signal.aborted) await sleep(50)
  await poller
  const rows = await countRows(bench.clickhouse, `SELECT count() AS n FROM ${db}.trades`)
  // One level-0 part per insert, or per flush of the write buffer (merged-away parts stay listed, inactive,
  // for minutes): the parts this run wrote into the trades' MergeTree table.
  const inserts = await countRows(
    bench.clickhouse,
    `SELECT count() AS n FROM system.parts WHERE database = '${db}' AND table = '${localTable('trades', bench.config.clickhouse.cluster)}' AND level = 0`
  )
  if (values['probes-out'])
    writeFileSync(
      values['probes-out'],
      `recv_ts,latency_ms\n${seenProbes.map((p) => `${p.recvTs},${p.latencyMs}`).join('\n')}\n`
    )
  const latencies = seenProbes.map((p) => p.latencyMs).sort((a, b) => a - b)
  pollMs.sort((a, b) => a - b)
  const sent = loads.reduce((sum, l) => sum + l.sent, 0)
  /** Messages of the CPU window: the trades produced in it, and the probes. */
  const windowMessages = sent - sentBeforeWindow + probeId
  const producedSeconds = Math.max(...loads.map((l) => l.seconds))
  const result = {
    benchmark: 'latency',
    date: new Date().toISOString(),
    targetRate: rate,
    producedRate: Math.round(sent / producedSeconds),
    producerRates: loads.map((l) => Math.round(l.sent / l.seconds)),
    producers,
    loadClients: loads.map((l) => l.client),
    bridges: N,
    probes: latencies.length,
    lostProbes: probes.size,
    skippedProbes: skipped,
    p50Ms: percentile(latencies, 50),
    p90Ms: percentile(latencies, 90),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1) ?? NaN,
    pollQueryMs: { p50: percentile(pollMs, 50), p99: percentile(pollMs, 99), max: pollMs.at(-1) ?? NaN },
    rows,
    tradeInserts: inserts,
    tradeInsertsPerSecond: Number((inserts / producedSeconds).toFixed(1)),
    cpu: { ...corePercent(cpu), ...costPerMessage(cpu, windowMessages) },
    // What the window's queries on this benchmark's database cost ClickHouse (null: the server logs none).
    clickhouseCpuByQuery: await queryCpu(bench.clickhouse, db, windowStart, windowEnd)
  }
  const reached = sent / producedSeconds / rate
  say(
    `\nproduced ${sent.toLocaleString('en-US')} trades at ${result.producedRate.toLocaleString('en-US')} msg/s ` +
      `(${Math.round(reached * 100)} % of the target; per producer ${result.producerRates.map((r) => r.toLocaleString('en-US')).join(', ')})` +
      (reached < 0.97 ? ' — THE LOAD GENERATOR DID NOT REACH THE TARGET' : '')
  )
  say(
    `recv_ts -> queryable over ${result.probes} probes: p50 ${result.p50Ms} ms, p90 ${result.p90Ms} ms, p99 ${result.p99Ms} ms, max ${result.maxMs} ms` +
      (result.lostProbes ? ` (${result.lostProbes} probes never seen)` : '') +
      `\n  (from recv_ts to the start of the first poll query that saw it; the poll queries themselves took p50 ${result.pollQueryMs.p50} ms, p99 ${result.pollQueryMs.p99} ms, max ${result.pollQueryMs.max} ms)`
  )
  say(
    `parts written into trades: ${inserts.toLocaleString('en-US')} (${result.tradeInsertsPerSecond}/s over the production window, all bridges)`
  )
  const pct = corePercent(cpu)
  const cost = costPerMessage(cpu, windowMessages)
  say(`\nCPU over the ${pct.wallSeconds} s window (${pct.cores} cores = ${pct.cores * 100} %):`)
  say(
    table([
      ['process', '% of one core', 'CPU-µs/msg', 'peak RSS'],
      ...cpu.processes.map((p, i) => [
        p.name,
        `${pct.processesPct[p.name]} %`,
        cost.processes[i]?.usPerMsg ?? null,
        p.name.startsWith('bridge-') || p.name.startsWith('load-') ? `${p.peakRssMb} MB` : ''
      ]),
      ...Object.keys(cpu.groups)
        .filter((g) => g === 'bridges' || g === 'load' || g === 'other')
        .map((g) => [`${g} (all)`, `${pct.groupsPct[g]} %`, cost.groupsUsPerMsg[g] ?? null, '']),
      ['machine', `${pct.machinePct} %`, cost.machineUsPerMsg, '']
    ])
  )
  if (result.clickhouseCpuByQuery)
    say(
      `\nClickHouse's CPU per kind of query on ${db} (system.query_log; merges and other clients not included):\n` +
        queryCpuTable(result.clickhouseCpuByQuery, cpu.wallSeconds)
    )
  console.log(JSON.stringify(result))
} catch (error) {
  if (!stop.signal.aborted) throw error
  process.exitCode = 130
} finally {
  process.off('SIGINT', onSignal).off('SIGTERM', onSignal)
  for (const l of loads) if (l.child.exitCode === null) l.child.kill('SIGTERM')
  await Promise.all(loads.map((l) => l.done))
  await bench.cleanup(values.keep)
}
