/**
 * Soak: the live pipeline for a long time, watching for leaks.
 *
 *   npm run bench:soak -- --minutes 30 --rate 5000 [--bridges 3] [--interval 10] [--leak-mb-per-hour 50]
 *     [--min-judged-minutes 5] [--keep]
 *
 * Runs on a local stack of its own (TICKBRIDGE_HOME test-artifacts/soak-stack, ports 29292/29293/28323/29200;
 * `tickbridge stack up`/`down`), not on the shared one: the soak judges the memory of every process over half
 * an hour, including Kafka's and ClickHouse's, which other people's tests and benchmarks on the shared stack
 * would move (their topics, tables and load); and 5,000 msg/s for 30 minutes would disturb their figures.
 *
 * The pipeline is the one `tickbridge start` runs, each process started from a private copy of the compiled
 * CLI (test/faults/runtime.ts): the hub, the simulator serving Wallex's socket protocol at --rate trades/s,
 * a feed connected to it, and --bridges bridges. Every --interval seconds it samples, per process, RSS
 * (/proc/<pid>/status VmRSS), CPU (/proc/<pid>/stat) and, for the hub, the feed and the bridges, the heap
 * (nodejs_heap_size_used_bytes from their /metrics); plus the bridge group's consumer lag, the bridges' mean
 * insert latency over the interval (tickbridge_bridge_insert_duration_seconds sum/count) and rows/s.
 *
 * Writes test-artifacts/soak-<time>.csv (one row per sample), .html (charts as inline SVG, the leak table)
 * and .json (summary). A leak is flagged for a process whose RSS grows linearly over the second half of the
 * run: least-squares slope above --leak-mb-per-hour with R² ≥ 0.5 (a steady climb, not GC noise). Exit code 1
 * when a tickbridge process is flagged or any process died; Kafka's and ClickHouse's flags are reported only
 * (their caches grow by design).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { projectRoot } from '../src/config/load.ts'
import { createAdmin } from '../src/kafka/clients.ts'
import { groupLag } from '../src/kafka/lag.ts'
import { defaultSymbols } from '../src/ops/pipeline.ts'
import { clickhousePaths } from '../src/stack/clickhouse-server.ts'
import { kafkaPaths } from '../src/stack/kafka-server.ts'
import { portOpen } from '../src/stack/processes.ts'
import { freePort } from '../test/helpers/ports.ts'
import { IsolatedStack } from '../test/faults/isolated-stack.ts'
import { metricSum, RoleProcess } from '../test/faults/processes.ts'
import { writeJson } from '../test/faults/record.ts'
import { snapshotRuntime } from '../test/faults/runtime.ts'
import { benchOptions } from './options.ts'

const values = benchOptions({
  minutes: { type: 'string', default: '30' },
  rate: { type: 'string', default: '5000' },
  bridges: { type: 'string', default: '3' },
  interval: { type: 'string', default: '10' },
  'leak-mb-per-hour': { type: 'string', default: '50' },
  'min-judged-minutes': { type: 'string', default: '5' },
  keep: { type: 'boolean', default: false }
})
const minutes = Number(values.minutes)
const rate = Number(values.rate)
const bridgeCount = Number(values.bridges)
const intervalMs = Number(values.interval) * 1000
const leakThreshold = Number(values['leak-mb-per-hour'])
/** The second half must last this long for a verdict: the first minutes are warm-up (JIT, caches, buffers). */
const MIN_JUDGED_S = Number(values['min-judged-minutes']) * 60
const SOAK_PORTS = { kafka: 29292, controller: 29293, http: 28323, tcp: 29200 }
const CLK_TCK = 100

const say = (line: string) => process.stderr.write(`${line}\n`)
const stamp = new Date().toISOString().slice(0, 19).replace(/:/g, '-') + 'Z'
const artifacts = join(projectRoot, 'test-artifacts')
const base = join(artifacts, `soak-${stamp}`)

interface Sample {
  t: number
  rssMb: Record<string, number | null>
  heapMb: Record<string, number | null>
  cpuPct: Record<string, number | null>
  lag: number | null
  insertMs: number | null
  rowsPerS: number | null
  feedPerS: number | null
  /** The feed's backlog: messages waiting in memory and on disk for Kafka. */
  feedQueued: number | null
  feedSpooled: number | null
}

function rssMb(pid: number | null | undefined): number | null {
  if (!pid) return null
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) / 1024 : null
  } catch {
    return null
  }
}

function cpuTicks(pid: number | null | undefined): number | null {
  if (!pid) return null
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[11]) + Number(fields[12]) // utime + stime (fields 14 and 15 of stat)
  } catch {
    return null
  }
}

/** Least-squares fit of y over x: slope, and R² (how much of y a straight line explains). */
function linearFit(points: [number, number][]): { slope: number; r2: number } {
  const n = points.length
  if (n < 3) return { slope: 0, r2: 0 }
  const mx = points.reduce((s, [x]) => s + x, 0) / n
  const my = points.reduce((s, [, y]) => s + y, 0) / n
  let sxx = 0
  let sxy = 0
  let syy = 0
  for (const [x, y] of points) {
    sxx += (x - mx) ** 2
    sxy += (x - mx) * (y - my)
    syy += (y - my) ** 2
  }
  const slope = sxx === 0 ? 0 : sxy / sxx
  const r2 = sxx === 0 || syy === 0 ? 0 : (sxy * sxy) / (sxx * syy)
  return { slope, r2 }
}

const runtime = snapshotRuntime('tickbridge-soak')
const stack = new IsolatedStack(runtime, join(artifacts, 'soak-stack'), SOAK_PORTS)
const processes: RoleProcess[] = []
let stopRequested = false
let stopRequestedAt = Number.POSITIVE_INFINITY
process.once('SIGINT', () => {
  say('SIGINT: stopping the soak early (outputs are still written)')
  stopRequested = true
  stopRequestedAt = Date.now() // the pipeline got the terminal's SIGINT too: its exits from now on are not deaths
})

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    await sleep(250)
  }
  throw new Error(`timed out waiting for ${what}`)
}

async function sampleFor(durationMs: number, bridges: RoleProcess[], feed: RoleProcess): Promise<Sample[]> {
  const samples: Sample[] = []
  const admin = createAdmin(stack.config.kafka, 'tickbridge-soak')
  const started = Date.now()
  let previous: {
    at: number
    ticks: Record<string, number | null>
    sum: number
    count: number
    rows: number
    feed: number
  } | null = null
  try {
    while (!stopRequested) {
      const at = Date.now()
      const pids: Record<string, number | null | undefined> = {
        kafka: stack.kafkaPid(),
        clickhouse: stack.clickhousePid(),
        ...Object.fromEntries(processes.map((p) => [p.name, p.alive ? p.pid : null]))
      }
      const metrics = Object.fromEntries(
        await Promise.all(processes.map(async (p) => [p.name, p.alive ? await p.metrics() : null] as const))
      )
      const ticks = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuTicks(pid)]))
      const bridgeTexts = bridges.map((b) => metrics[b.name] ?? null)
      const sum = bridgeTexts.reduce(
        (s, text) => s + metricSum(text, 'tickbridge_bridge_insert_duration_seconds_sum'),
        0
      )
      const count = bridgeTexts.reduce(
        (s, text) => s + metricSum(text, 'tickbridge_bridge_insert_duration_seconds_count'),
        0
      )
      const rows = bridgeTexts.reduce(
        (s, text) => s + metricSum(text, 'tickbridge_bridge_rows_inserted_total'),
        0
      )
      const feedText = metrics[feed.name] ?? null
      const feedCount = metricSum(feedText, 'tickbridge_feed_messages_total')
      let lag: number | null = null
      try {
        lag = (await groupLag(admin, stack.config.bridge.groupId, bridgeTopicNames())).reduce(
          (s, p) => s + Number(p.lag),
          0
        )
      } catch {
        /* Kafka slow to answer: a gap in the lag line */
      }
      const seconds = previous ? (at - previous.at) / 1000 : null
      const sample: Sample = {
        t: Math.round((at - started) / 1000),
        rssMb: Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, round(rssMb(pid))])),
        heapMb: Object.fromEntries(
          processes
            .filter((p) => p.metricsUrl)
            .map((p) => {
              const text = metrics[p.name] ?? null
              return [p.name, text ? round(metricSum(text, 'nodejs_heap_size_used_bytes') / 2 ** 20) : null]
            })
        ),
        cpuPct: Object.fromEntries(
          Object.entries(ticks).map(([name, t]) => {
            const before = previous?.ticks[name]
            return [
              name,
              seconds && t !== null && before !== null && before !== undefined && t >= before
                ? round(((t - before) / CLK_TCK / seconds) * 100)
                : null
            ]
          })
        ),
        lag,
        insertMs:
          previous && count > previous.count
            ? round(((sum - previous.sum) / (count - previous.count)) * 1000)
            : null,
        rowsPerS: previous && seconds ? Math.round((rows - previous.rows) / seconds) : null,
        feedPerS: previous && seconds ? Math.round((feedCount - previous.feed) / seconds) : null,
        feedQueued: feedText ? metricSum(feedText, 'tickbridge_feed_queued_messages') : null,
        feedSpooled: feedText ? metricSum(feedText, 'tickbridge_feed_spooled_messages') : null
      }
      samples.push(sample)
      previous = { at, ticks, sum, count, rows, feed: feedCount }
      const rssLine = Object.entries(sample.rssMb)
        .map(([name, mb]) => `${name} ${mb ?? '–'}`)
        .join(', ')
      say(
        `t=${sample.t}s rows/s ${sample.rowsPerS ?? '–'} lag ${lag ?? '–'} insert ${sample.insertMs ?? '–'} ms | RSS MB: ${rssLine}`
      )
      writeCsv(samples) // as it goes: an interrupted soak keeps its data
      if (Date.now() - started >= durationMs) break
      await sleep(Math.max(0, intervalMs - (Date.now() - at)))
    }
  } finally {
    await admin.close().catch(() => undefined)
  }
  return samples
}

function bridgeTopicNames(): string[] {
  const { trades, depth, quotes, candles } = stack.config.topics
  return [trades, depth, quotes, candles]
}

function round(value: number | null): number | null {
  return value === null || !Number.isFinite(value) ? null : Math.round(value * 10) / 10
}

interface LeakRow {
  name: string
  server: boolean
  firstMb: number | null
  lastMb: number | null
  slopeMbPerHour: number
  r2: number
  heapSlopeMbPerHour: number | null
  /** RSS climbs steadily over the second half (judged only when that half lasts MIN_JUDGED_S). */
  flagged: boolean
  verdict: 'LEAK' | 'grows (server cache, not judged)' | 'no' | 'too short to judge'
}

interface Report {
  samples: number
  minutes: number
  leaks: LeakRow[]
  died: string[]
  lagMax: number | null
  lagLast: number | null
  insertMsMean: number | null
  rowsPerSMean: number | null
}

function analyse(samples: Sample[]): Report {
  const names = Object.keys(samples[0]?.rssMb ?? {})
  const secondHalf = samples.slice(Math.floor(samples.length / 2))
  const judged = (secondHalf.at(-1)?.t ?? 0) - (secondHalf[0]?.t ?? 0) >= MIN_JUDGED_S
  const leaks = names.map((name): LeakRow => {
    const points = secondHalf
      .filter((s) => s.rssMb[name] !== null && s.rssMb[name] !== undefined)
      .map((s) => [s.t / 3600, s.rssMb[name] as number] as [number, number])
    const fit = linearFit(points)
    const heapPoints = secondHalf
      .filter((s) => s.heapMb[name] !== null && s.heapMb[name] !== undefined)
      .map((s) => [s.t / 3600, s.heapMb[name] as number] as [number, number])
    const heap = heapPoints.length >= 3 ? linearFit(heapPoints) : null
    const values = samples.map((s) => s.rssMb[name]).filter((v): v is number => v !== null && v !== undefined)
    const server = name === 'kafka' || name === 'clickhouse'
    const flagged = judged && fit.slope > leakThreshold && fit.r2 >= 0.5
    return {
      name,
      server,
      firstMb: values[0] ?? null,
      lastMb: values.at(-1) ?? null,
      slopeMbPerHour: Math.round(fit.slope * 10) / 10,
      r2: Math.round(fit.r2 * 100) / 100,
      heapSlopeMbPerHour: heap ? Math.round(heap.slope * 10) / 10 : null,
      flagged,
      verdict: !judged
        ? 'too short to judge'
        : !flagged
          ? 'no'
          : server
            ? 'grows (server cache, not judged)'
            : 'LEAK'
    }
  })
  const died = processes.flatMap((p) =>
    p.unexpectedExits.filter((e) => e.at < stopRequestedAt).map((e) => `${p.name}: ${e.reason}`)
  )
  const lags = samples.map((s) => s.lag).filter((v): v is number => v !== null)
  const inserts = samples.map((s) => s.insertMs).filter((v): v is number => v !== null)
  const rows = samples.map((s) => s.rowsPerS).filter((v): v is number => v !== null)
  const mean = (xs: number[]) =>
    xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10 : null
  return {
    samples: samples.length,
    minutes: Math.round(((samples.at(-1)?.t ?? 0) / 60) * 10) / 10,
    leaks,
    died,
    lagMax: lags.length ? Math.max(...lags) : null,
    lagLast: lags.at(-1) ?? null,
    insertMsMean: mean(inserts),
    rowsPerSMean: mean(rows)
  }
}

function formatReport(report: Report): string {
  const header = [
    'process',
    'RSS first MB',
    'RSS last MB',
    'slope MB/h (2nd half)',
    'R²',
    'heap slope MB/h',
    'leak?'
  ]
  const rows = report.leaks.map((l) => [
    l.name,
    String(l.firstMb ?? '–'),
    String(l.lastMb ?? '–'),
    String(l.slopeMbPerHour),
    String(l.r2),
    String(l.heapSlopeMbPerHour ?? '–'),
    l.verdict
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')
  return [
    `soak: ${report.minutes} min, ${report.samples} samples; rows/s mean ${report.rowsPerSMean ?? '–'}, insert mean ${report.insertMsMean ?? '–'} ms, lag max ${report.lagMax ?? '–'} last ${report.lagLast ?? '–'}`,
    line(header),
    ...rows.map(line),
    report.died.length ? `DIED: ${report.died.join('; ')}` : 'no process died',
    `leak threshold: ${leakThreshold} MB/h with R² ≥ 0.5 over the second half (judged when it lasts ≥ ${MIN_JUDGED_S / 60} min)`,
    `outputs: ${base}.csv, ${base}.html, ${base}.json; logs in ${base}/`
  ].join('\n')
}

function columns(samples: Sample[]): string[] {
  const first = samples[0]
  if (!first) return []
  return [
    ...Object.keys(first.rssMb).map((n) => `rss_mb:${n}`),
    ...Object.keys(first.heapMb).map((n) => `heap_mb:${n}`),
    ...Object.keys(first.cpuPct).map((n) => `cpu_pct:${n}`)
  ]
}

function writeCsv(samples: Sample[]): void {
  const cols = columns(samples)
  const lines = [
    [
      't_s',
      'lag',
      'insert_ms_mean',
      'rows_per_s',
      'feed_msgs_per_s',
      'feed_queued',
      'feed_spooled',
      ...cols
    ].join(',')
  ]
  for (const s of samples) {
    const cells = cols.map((c) => {
      const [kind, name] = c.split(':') as [string, string]
      const value = kind === 'rss_mb' ? s.rssMb[name] : kind === 'heap_mb' ? s.heapMb[name] : s.cpuPct[name]
      return value === null || value === undefined ? '' : String(value)
    })
    lines.push(
      [
        s.t,
        s.lag ?? '',
        s.insertMs ?? '',
        s.rowsPerS ?? '',
        s.feedPerS ?? '',
        s.feedQueued ?? '',
        s.feedSpooled ?? '',
        ...cells
      ].join(',')
    )
  }
  writeFileSync(`${base}.csv`, lines.join('\n') + '\n')
}

function writeOutputs(samples: Sample[], report: Report): void {
  writeCsv(samples)
  writeJson(`${base}.json`, {
    minutes,
    rate,
    bridges: bridgeCount,
    intervalS: intervalMs / 1000,
    leakThreshold,
    report
  })
  const series = (pick: (s: Sample) => Record<string, number | null>) =>
    Object.keys(samples[0] ? pick(samples[0]) : {}).map((name) => ({
      name,
      points: samples.map((s) => [s.t, pick(s)[name] ?? null] as [number, number | null])
    }))
  const one = (name: string, pick: (s: Sample) => number | null) => [
    { name, points: samples.map((s) => [s.t, pick(s)] as [number, number | null]) }
  ]
  const leakRows = report.leaks
    .map(
      (l) =>
        `<tr class="${l.flagged ? (l.server ? 'warn' : 'leak') : ''}"><td>${l.name}</td><td>${l.firstMb ?? '–'}</td><td>${l.lastMb ?? '–'}</td><td>${l.slopeMbPerHour}</td><td>${l.r2}</td><td>${l.heapSlopeMbPerHour ?? '–'}</td><td>${l.verdict}</td></tr>`
    )
    .join('\n')
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tickbridge soak ${stamp}</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 24px; color: #222; }
table { border-collapse: collapse; margin: 12px 0; } td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
td:first-child, th:first-child { text-align: left; } tr.leak { background: #fdd; } tr.warn { background: #ffd; }
h2 { margin-top: 28px; font-size: 16px; } svg { background: #fafafa; border: 1px solid #ddd; }
</style></head><body>
<h1>tickbridge soak, ${stamp}</h1>
<p>${report.minutes} min at ${rate} trades/s (simulator → feed → Kafka → ${bridgeCount} bridges → ClickHouse), one sample every ${intervalMs / 1000} s.
Rows/s mean ${report.rowsPerSMean ?? '–'}, insert latency mean ${report.insertMsMean ?? '–'} ms, consumer lag max ${report.lagMax ?? '–'} (last ${report.lagLast ?? '–'}).
${report.died.length ? `<b>Died: ${escapeHtml(report.died.join('; '))}</b>` : 'No process died.'}</p>
<h2>Leak check (least squares over the second half; flagged above ${leakThreshold} MB/h with R² ≥ 0.5, when that half lasts ≥ ${MIN_JUDGED_S / 60} min)</h2>
<table><tr><th>process</th><th>RSS first MB</th><th>RSS last MB</th><th>RSS slope MB/h</th><th>R²</th><th>heap slope MB/h</th><th>verdict</th></tr>
${leakRows}</table>
<h2>RSS (MB)</h2>${svgChart(
    series((s) => s.rssMb),
    'MB'
  )}
<h2>Heap used (MB, nodejs_heap_size_used_bytes)</h2>${svgChart(
    series((s) => s.heapMb),
    'MB'
  )}
<h2>CPU (% of one core)</h2>${svgChart(
    series((s) => s.cpuPct),
    '%'
  )}
<h2>Consumer lag (messages)</h2>${svgChart(
    one('lag', (s) => s.lag),
    'msgs'
  )}
<h2>Insert latency (mean ms over each interval, all bridges)</h2>${svgChart(
    one('insert ms', (s) => s.insertMs),
    'ms'
  )}
<h2>Feed backlog (messages waiting for Kafka: in memory, on disk)</h2>${svgChart(
    [...one('queued', (s) => s.feedQueued), ...one('spooled', (s) => s.feedSpooled)],
    'msgs'
  )}
<h2>Throughput (rows/s inserted, messages/s from the feed)</h2>${svgChart(
    [...one('rows/s', (s) => s.rowsPerS), ...one('feed msg/s', (s) => s.feedPerS)],
    '/s'
  )}
<p>Data: <code>${escapeHtml(`${base}.csv`)}</code></p>
</body></html>
`
  writeFileSync(`${base}.html`, html)
}

/** A line chart as inline SVG: x = seconds, one polyline per series, axes with 5 ticks, a legend. */
function svgChart(series: { name: string; points: [number, number | null][] }[], unit: string): string {
  const colors = [
    '#1f77b4',
    '#d62728',
    '#2ca02c',
    '#ff7f0e',
    '#9467bd',
    '#8c564b',
    '#e377c2',
    '#7f7f7f',
    '#bcbd22',
    '#17becf'
  ]
  const width = 960
  const height = 280
  const pad = { left: 64, right: 160, top: 12, bottom: 32 }
  const all = series.flatMap((s) => s.points.filter((p): p is [number, number] => p[1] !== null))
  if (all.length === 0) return '<p>(no data)</p>'
  const xMax = Math.max(1, ...all.map(([x]) => x))
  const yMax = Math.max(1e-9, ...all.map(([, y]) => y)) * 1.05
  const x = (v: number) => pad.left + (v / xMax) * (width - pad.left - pad.right)
  const y = (v: number) => height - pad.bottom - (v / yMax) * (height - pad.top - pad.bottom)
  const ticks = [0, 0.25, 0.5, 0.75, 1]
  const axes = [
    ...ticks.map(
      (f) =>
        `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(f * yMax)}" y2="${y(f * yMax)}" stroke="#e5e5e5"/>` +
        `<text x="${pad.left - 6}" y="${y(f * yMax) + 4}" text-anchor="end" font-size="11">${formatTick(f * yMax)}</text>`
    ),
    ...ticks.map(
      (f) =>
        `<text x="${x(f * xMax)}" y="${height - pad.bottom + 16}" text-anchor="middle" font-size="11">${formatSeconds(f * xMax, xMax)}</text>`
    ),
    `<text x="12" y="${pad.top + 10}" font-size="11">${escapeHtml(unit)}</text>`
  ]
  const lines = series.map((s, i) => {
    const color = colors[i % colors.length]
    const segments: string[] = []
    let current: string[] = []
    for (const [px, py] of s.points) {
      if (py === null) {
        if (current.length) segments.push(current.join(' '))
        current = []
      } else current.push(`${x(px).toFixed(1)},${y(py).toFixed(1)}`)
    }
    if (current.length) segments.push(current.join(' '))
    return (
      segments
        .map((pts) => `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts}"/>`)
        .join('') +
      `<rect x="${width - pad.right + 12}" y="${pad.top + i * 18}" width="10" height="10" fill="${color}"/>` +
      `<text x="${width - pad.right + 28}" y="${pad.top + i * 18 + 9}" font-size="12">${escapeHtml(s.name)}</text>`
    )
  })
  return `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${axes.join('')}${lines.join('')}</svg>`
}

/** Axis time: m:ss on runs under 10 minutes, whole minutes beyond. */
function formatSeconds(seconds: number, span: number): string {
  if (span >= 600) return `${Math.round(seconds / 60)} min`
  const s = Math.round(seconds)
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`
}

function formatTick(v: number): string {
  if (v >= 1_000_000) return `${(v / 1_000_000).toFixed(1)}M`
  if (v >= 10_000) return `${Math.round(v / 1000)}k`
  return v >= 10 ? String(Math.round(v)) : v.toFixed(1)
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string
  )
}

/** Runs after every declaration of the module is initialised. */
async function main(): Promise<void> {
  try {
    say(`soak: ${minutes} min at ${rate} trades/s, ${bridgeCount} bridges; isolated stack in ${stack.home}`)
    await stack.up()
    const hubPort = await freePort()
    const hubUrl = `http://127.0.0.1:${hubPort}`
    const env = {
      ...stack.clientEnv,
      HUB_URL: hubUrl,
      HUB_PORT: String(hubPort),
      HUB_TOKEN: `soak-${stamp}`,
      FEED_SPOOL_DIR: join(stack.home, 'spool'),
      STATS_INTERVAL_MS: '30000'
    }
    const make = (name: string, args: string[], extra: Record<string, string>, metricsUrl: string | null) => {
      const p = new RoleProcess({
        runtime,
        name,
        args,
        env: { ...env, ...extra },
        logFile: join(base, `${name}.log`),
        metricsUrl
      })
      processes.push(p)
      return p.start()
    }
    const hub = make('hub', ['hub', '--port', String(hubPort)], {}, hubUrl)
    await waitFor(async () => (await hub.readyz()) !== null, 30_000, 'the hub')
    const bridges: RoleProcess[] = []
    for (let n = 1; n <= bridgeCount; n++) {
      const port = await freePort()
      bridges.push(
        make(
          `bridge-${n}`,
          ['bridge'],
          { INSTANCE_ORDINAL: String(n), INSTANCE_ID: `soak-bridge-${n}`, METRICS_PORT: String(port) },
          `http://127.0.0.1:${port}`
        )
      )
    }
    await waitFor(
      async () => (await Promise.all(bridges.map((b) => b.readyz()))).every((s) => s === 200),
      90_000,
      'every bridge ready'
    )
    const simPort = await freePort()
    make('sim', ['sim', '--serve', 'wallex', '--port', String(simPort), '--rate', String(rate)], {}, null)
    await waitFor(() => portOpen(simPort), 20_000, 'the simulator')
    const feedPort = await freePort()
    const feed = make(
      'feed-1',
      [
        'feed',
        '--exchange',
        'wallex',
        '--url',
        `ws://127.0.0.1:${simPort}/ws`,
        '--symbols',
        defaultSymbols.join(','),
        '--instance-id',
        'soak-feed-1'
      ],
      { METRICS_PORT: String(feedPort) },
      `http://127.0.0.1:${feedPort}`
    )
    await waitFor(async () => (await feed.readyz()) === 200, 30_000, 'the feed connected')

    const samples = await sampleFor(minutes * 60_000, bridges, feed)
    const report = analyse(samples)
    writeOutputs(samples, report)
    say(formatReport(report))
    console.log(
      JSON.stringify({
        minutes: Math.round((samples.at(-1)?.t ?? 0) / 6) / 10,
        rate,
        bridges: bridgeCount,
        leaks: report.leaks.filter((l) => l.flagged).map((l) => l.name),
        died: report.died,
        csv: `${base}.csv`,
        html: `${base}.html`
      })
    )
    process.exitCode = report.leaks.some((l) => l.flagged && !l.server) || report.died.length > 0 ? 1 : 0
  } finally {
    await Promise.all(processes.map((p) => p.stop('end of the soak', 20_000)))
    await stack.down()
    if (!values.keep)
      for (const dir of [kafkaPaths(stack.config).data, clickhousePaths(stack.config).dir])
        rmSync(dir, { recursive: true, force: true })
    runtime.remove()
  }
}

await main()
