/**
 * Pipeline benchmark: the live pipeline as `tickbridge start` runs it (hub, the simulator serving Wallex, a
 * feed on it, N bridges: each its own background process), on the shared stack but with the benchmark's
 * own topics, group, database, hub port, simulator port and TICKBRIDGE_HOME (pid files, logs, spool, hub
 * token). After a warm-up it measures a window and prints each process's CPU in % of one core (ClickHouse,
 * feed, bridges, Kafka, sim, hub, their sum (the pipeline), this process, other, the machine), ClickHouse's
 * inserts per second and its merged vs inserted rows (system.events deltas: server-wide, so other clients of
 * the shared server count too), and the rows that reached this benchmark's tables.
 *
 * Everything it started is stopped at the end, on Ctrl-C / SIGTERM and on error: `tickbridge stop` for
 * the benchmark's home (feed and sim, then the bridges drain, then the hub), then any of the processes it
 * recorded that still runs is stopped by pid (SIGTERM, SIGKILL after 30 s).
 *
 * `--clickhouse private` points the pipeline at a ClickHouse server of the benchmark's own (the stack's
 * binary, a temporary home and free ports, stopped at the end), so ClickHouse's CPU and events are the
 * pipeline's alone.
 *
 *   npm run bench:pipeline -- --seconds 30 --rate 5000 --bridges 3 [--warmup 10] [--clickhouse private] [--keep]
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createClickHouse } from '../src/clickhouse/client.ts'
import { cliEntry, loadConfig, type Config } from '../src/config/load.ts'
import { listLocalProcesses, type LocalProcess } from '../src/stack/local-processes.ts'
import { isAlive, stopProcess } from '../src/stack/processes.ts'
import { corePercent, CpuMeter, table, trackStack } from './cpu.ts'
import {
  countRows,
  freePort,
  say,
  setUpBench,
  startPrivateClickHouse,
  type PrivateClickHouse
} from './setup.ts'
import { partsByTable, queryCpu, queryCpuTable } from './clickhouse-logs.ts'
import { benchOptions } from './options.ts'

const values = benchOptions({
  seconds: { type: 'string', default: '30' },
  rate: { type: 'string', default: '5000' },
  bridges: { type: 'string', default: '3' },
  /** seconds between "every instance reports to the hub" and the measured window */
  warmup: { type: 'string', default: '10' },
  symbols: { type: 'string' },
  /** `private`: the pipeline writes to a ClickHouse server of the benchmark's own (its CPU is the pipeline's alone) */
  clickhouse: { type: 'string', default: 'shared' },
  keep: { type: 'boolean', default: false }
})
const seconds = Number(values.seconds)
const rate = Number(values.rate)
const N = Number(values.bridges)
const warmup = Number(values.warmup)
if (!['private', 'shared'].includes(values.clickhouse))
  throw new Error('--clickhouse takes `private` or `shared`')
if (![seconds, rate, N].every((n) => Number.isInteger(n) && n > 0) || !(warmup >= 0))
  throw new Error('--seconds, --rate and --bridges take whole numbers > 0, --warmup a number ≥ 0')

/** 18.16 has no count of merges in system.events; MergesTimeMilliseconds is the time merging took. */
const EVENTS = [
  'InsertQuery',
  'InsertedRows',
  'InsertedBytes',
  'MergedRows',
  'MergesTimeMilliseconds',
  'MergeTreeDataWriterBlocks',
  'SelectQuery'
] as const
type Events = Record<(typeof EVENTS)[number], number>

const bench = await setUpBench('pipeline')
const home = mkdtempSync(join(tmpdir(), 'tickbridge-bench-pipeline-'))
const hubPort = await freePort()
const simPort = await freePort()
const vars: Record<string, string> = {
  ...bench.vars,
  TICKBRIDGE_HOME: home,
  KAFKA_BROKERS: bench.config.kafka.brokers.join(','),
  CLICKHOUSE_URL: bench.config.clickhouse.url,
  HUB_PORT: String(hubPort),
  HUB_URL: `http://127.0.0.1:${hubPort}`,
  STATS_INTERVAL_MS: '0'
}
const config: Config = loadConfig({ ...process.env, ...vars })
let server: PrivateClickHouse | null = null
let clickhouse = bench.clickhouse
const db = config.clickhouse.database

/** Runs the CLI with the benchmark's variables (its output to stderr, or nowhere). */
function cli(args: string[], output: 'inherit' | 'ignore' = 'inherit') {
  const child = spawn(process.execPath, [cliEntry, ...args], {
    env: { ...process.env, ...vars, LOG_PRETTY: 'false' },
    stdio: ['ignore', output === 'inherit' ? process.stderr : 'ignore', process.stderr]
  })
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)))
  return { child, exited }
}
let starting: ReturnType<typeof cli> | null = null

async function clickhouseEvents(): Promise<Events> {
  const rows = await clickhouse
    .query({
      query: `SELECT event, value FROM system.events WHERE event IN (${EVENTS.map((e) => `'${e}'`).join(',')})`,
      format: 'JSONEachRow'
    })
    .then((r) => r.json<{ event: string; value: string }>())
  const events = Object.fromEntries(EVENTS.map((e) => [e, 0])) as Events
  for (const { event, value } of rows) events[event as keyof Events] = Number(value)
  return events
}

async function tableRows(): Promise<Record<string, number>> {
  const rows: Record<string, number> = {}
  for (const t of ['trades', 'depth', 'quotes', 'candles'])
    rows[t] = await countRows(clickhouse, `SELECT count() AS n FROM ${db}.${t}`)
  return rows
}

const stop = new AbortController()
let cleaningUp = false
const onSignal = () => {
  if (cleaningUp) {
    say('still stopping what the benchmark started ...')
    return
  }
  say('\ninterrupted: stopping the pipeline ...')
  stop.abort()
}
process.on('SIGINT', onSignal).on('SIGTERM', onSignal)
/** Every pipeline process seen running, so cleanup can make sure each one is gone. */
const seen = new Map<number, LocalProcess>()
const remember = () => {
  for (const p of listLocalProcesses(config)) seen.set(p.pid, p)
}

try {
  say(
    `pipeline benchmark: simulator at ${rate.toLocaleString('en-US')} trades/s -> feed -> Kafka -> ${N} bridge(s) -> ClickHouse; ` +
      `warm-up ${warmup} s, window ${seconds} s; home ${home}`
  )
  if (values.clickhouse === 'private') {
    server = await startPrivateClickHouse('pipeline')
    vars.CLICKHOUSE_URL = server.url
    clickhouse = createClickHouse({
      ...bench.config.clickhouse,
      url: server.url,
      urls: [server.url],
      cluster: ''
    })
    say(`private ClickHouse (pid ${server.pid}) on ${server.url}`)
  }
  const startArgs = ['start', '--bridges', String(N), '--rate', String(rate), '--sim-port', String(simPort)]
  if (values.symbols) startArgs.push('--symbols', values.symbols)
  starting = cli(startArgs)
  let startCode: number | null = null
  void starting.exited.then((code) => (startCode = code))
  while (!stop.signal.aborted && startCode === null) {
    remember()
    await Promise.race([starting.exited, sleep(250)])
  }
  remember()
  if (stop.signal.aborted) throw new Error('interrupted')
  if (startCode !== 0) throw new Error('`tickbridge start` failed (its output is above)')
  const processes = listLocalProcesses(config)
  say(`\nrunning: ${processes.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}`)
  await sleep(warmup * 1000, undefined, { signal: stop.signal })

  const privateServer = server
  const meter = trackStack(new CpuMeter(1000), bench.config.stack.home, {
    warn: say,
    clickhouse: privateServer ? () => privateServer.pid : undefined,
    clickhouseData: privateServer ? join(privateServer.home, 'clickhouse', 'data') : undefined
  })
  const roles = ['feed', 'bridge', 'sim', 'hub'] as const
  for (const role of roles)
    for (const p of processes.filter((q) => q.role === role))
      meter.track({
        name: p.name,
        group: role === 'bridge' ? 'bridges' : role,
        pids: () => (isAlive(p.pid) ? p.pid : null)
      })
  const [eventsBefore, rowsBefore] = [await clickhouseEvents(), await tableRows()]
  const windowStart = new Date()
  meter.start()
  for (let left = seconds; left > 0 && !stop.signal.aborted; left -= 5) {
    await sleep(Math.min(5, left) * 1000, undefined, { signal: stop.signal }).catch(() => undefined)
    if (left > 5) say(`  ${seconds - left + 5} s ...`)
  }
  if (stop.signal.aborted) throw new Error('interrupted')
  const cpu = meter.stop()
  const [eventsAfter, rowsAfter] = [await clickhouseEvents(), await tableRows()]
  const windowEnd = new Date()
  const parts = await partsByTable(clickhouse, db, windowStart, windowEnd)
  const queries = await queryCpu(clickhouse, db, windowStart, windowEnd)
  const gone = processes.filter((p) => !isAlive(p.pid))
  if (gone.length) say(`WARNING: ${gone.map((p) => p.name).join(', ')} exited during the window`)

  const pct = corePercent(cpu)
  const window = cpu.wallSeconds
  const delta = (e: keyof Events) => eventsAfter[e] - eventsBefore[e]
  const ours = Object.fromEntries(
    Object.keys(rowsAfter).map((t) => [t, (rowsAfter[t] ?? 0) - (rowsBefore[t] ?? 0)])
  )
  const order = ['clickhouse', 'feed', 'bridges', 'kafka', 'sim', 'hub', 'bench', 'other']
  // The issue's figure "the whole live pipeline": its own processes, without this benchmark and the rest of the machine.
  const pipelineGroups = order.filter((g) => g !== 'bench' && g !== 'other')
  const pipelinePct = pipelineGroups.reduce((sum, g) => sum + (pct.groupsPct[g] ?? 0), 0)
  const pipelineCpuSeconds = pipelineGroups.reduce((sum, g) => sum + (cpu.groups[g] ?? 0), 0)
  const f1 = (n: number | null | undefined) => (n === null || n === undefined ? null : n.toFixed(1))
  say(
    `\nCPU over the ${window.toFixed(1)} s window, in % of one core (${cpu.cores} cores = ${cpu.cores * 100} %; clock tick ${cpu.clockTick}):`
  )
  say(
    table([
      ['', '% of one core', 'CPU-s', 'peak RSS'],
      ...order.flatMap((g) => {
        const members = cpu.processes.filter((p) => p.group === g)
        const line = [
          g === 'bridges' ? `bridges (${members.length})` : g,
          `${f1(pct.groupsPct[g] ?? 0)} %`,
          (cpu.groups[g] ?? 0).toFixed(2),
          members.length === 1 && g !== 'kafka' && g !== 'clickhouse' && g !== 'bench'
            ? `${members[0]!.peakRssMb} MB`
            : ''
        ]
        const each =
          g === 'bridges'
            ? members.map((p) => [
                `  ${p.name}`,
                `${f1(pct.processesPct[p.name])} %`,
                p.cpuSeconds.toFixed(2),
                `${p.peakRssMb} MB`
              ])
            : []
        return [line, ...each]
      }),
      ['pipeline (clickhouse to hub)', `${f1(pipelinePct)} %`, pipelineCpuSeconds.toFixed(2), ''],
      ['total (machine)', `${f1(pct.machinePct)} %`, cpu.machineCpuSeconds.toFixed(2), '']
    ])
  )
  const perSecond = (n: number) => Math.round(n / window)
  say(
    (server
      ? `\nClickHouse (system.events deltas of the private server ${server.url}: this pipeline only):`
      : `\nClickHouse (system.events deltas, server-wide: every client of ${bench.config.clickhouse.url} counts):`) +
      `\n  inserts: ${perSecond(delta('InsertQuery')).toLocaleString('en-US')}/s (${delta('InsertQuery').toLocaleString('en-US')})` +
      `\n  inserted rows: ${delta('InsertedRows').toLocaleString('en-US')} (${perSecond(delta('InsertedRows')).toLocaleString('en-US')}/s)` +
      `\n  parts written: ${delta('MergeTreeDataWriterBlocks').toLocaleString('en-US')}` +
      `\n  merged rows: ${delta('MergedRows').toLocaleString('en-US')} = ` +
      `${(delta('MergedRows') / Math.max(1, delta('InsertedRows'))).toFixed(1)} × the inserted rows, ` +
      `time in merges ${(delta('MergesTimeMilliseconds') / 1000).toFixed(1)} s (wall time summed over merges)` +
      `\n  this pipeline's tables: ${Object.entries(ours)
        .map(([t, n]) => `${t} +${n.toLocaleString('en-US')}`)
        .join(', ')} (trades ${perSecond(ours.trades ?? 0).toLocaleString('en-US')}/s)`
  )
  if (parts)
    say(
      `\nParts per table in the window (system.part_log of ${db}):\n` +
        table([
          ['table', 'new parts', 'rows inserted', 'merges', 'rows merged', 'merged / inserted'],
          ...parts.map((p) => [
            p.table,
            p.newParts.toLocaleString('en-US'),
            p.insertedRows.toLocaleString('en-US'),
            p.merges.toLocaleString('en-US'),
            p.mergedRows.toLocaleString('en-US'),
            `${(p.mergedRows / Math.max(1, p.insertedRows)).toFixed(1)} ×`
          ])
        ])
    )
  const clickhouseCpu = cpu.processes.find((p) => p.group === 'clickhouse')?.cpuSeconds
  // Only a private server's CPU is this pipeline's (and only its profile is known to log every query).
  if (server && queries && clickhouseCpu !== undefined) {
    say(
      `\nClickHouse's CPU per kind of query (system.query_log of ${db}; % of one core):\n` +
        queryCpuTable(queries, window, clickhouseCpu)
    )
  }
  console.log(
    JSON.stringify({
      benchmark: 'pipeline',
      date: new Date().toISOString(),
      rate,
      bridges: N,
      clickhouseServer: server ? 'private' : 'shared',
      windowSeconds: Number(window.toFixed(2)),
      cpuPctOfOneCore: {
        machine: pct.machinePct,
        pipeline: Number(pipelinePct.toFixed(1)),
        ...pct.groupsPct,
        ...Object.fromEntries(
          cpu.processes.filter((p) => p.group === 'bridges').map((p) => [p.name, pct.processesPct[p.name]])
        )
      },
      peakRssMb: Object.fromEntries(
        cpu.processes
          .filter((p) => !['kafka', 'clickhouse', 'bench'].includes(p.group))
          .map((p) => [p.name, p.peakRssMb])
      ),
      clickhouse: {
        insertQueries: delta('InsertQuery'),
        insertsPerSecond: Number((delta('InsertQuery') / window).toFixed(1)),
        insertedRows: delta('InsertedRows'),
        mergedRows: delta('MergedRows'),
        partsWritten: delta('MergeTreeDataWriterBlocks'),
        mergeSeconds: delta('MergesTimeMilliseconds') / 1000,
        selectQueries: delta('SelectQuery'),
        mergedPerInsertedRow: Number((delta('MergedRows') / Math.max(1, delta('InsertedRows'))).toFixed(2))
      },
      rowsIntoThisPipeline: ours,
      partsByTable: parts,
      clickhouseCpuByQuery: queries
    })
  )
} catch (error) {
  if (!stop.signal.aborted) throw error
  process.exitCode = 130
} finally {
  cleaningUp = true
  if (starting && starting.child.exitCode === null && starting.child.signalCode === null) {
    starting.child.kill('SIGTERM')
    await starting.exited
  }
  remember()
  const code = await cli(['stop'], 'ignore').exited
  if (code !== 0) say(`tickbridge stop exited with ${code}`)
  for (const p of seen.values())
    if (isAlive(p.pid)) {
      say(`${p.name} (pid ${p.pid}) still runs: stopping it`)
      await stopProcess(p.pid, 30_000)
    }
  if (server) {
    await clickhouse.close()
    await server.stop()
  }
  await bench.cleanup(values.keep)
  if (!values.keep) rmSync(home, { recursive: true, force: true })
  process.off('SIGINT', onSignal).off('SIGTERM', onSignal)
  const left = [...seen.values()].filter((p) => isAlive(p.pid))
  say(
    left.length
      ? `WARNING: still running: ${left.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}`
      : `stopped everything it started (${seen.size} processes)`
  )
}
