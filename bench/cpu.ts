/**
 * CPU accounting for benchmarks: what a measured window cost the machine and each named process, in
 * CPU-seconds, as the kernel counts it.
 *
 * - Whole machine: /proc/stat's first line, busy = user + nice + system + irq + softirq + steal jiffies
 *   (idle and iowait are not work; guest time is already inside user).
 * - Per process: /proc/<pid>/stat utime + stime (all threads of the process), plus cutime + cstime when
 *   asked (children it has waited for). A process started during the window counts from zero; one that
 *   ends during the window counts up to its last sample, so sampling runs every second as well as at the
 *   start and the end. Pids are resolved again at every sample: a server restarted during the window
 *   (a new pid) is counted from its start.
 * - Peak RSS: VmHWM from /proc/<pid>/status at the last sample.
 *
 * Jiffies are converted with the clock tick (sysconf CLK_TCK, from `getconf CLK_TCK`; 100 on Linux
 * x86_64). CPU-seconds do not depend on how fast the wall clock ran, so on a shared, noisy machine the
 * cost per message is much steadier than the rate. Linux only; elsewhere every figure is NaN.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { journalLessWarning } from '../src/stack/filesystem.ts'
import { readPid } from '../src/stack/processes.ts'

let clockTickCache: number | undefined
/** sysconf(_SC_CLK_TCK): jiffies per second in /proc. */
export function clockTick(): number {
  if (clockTickCache === undefined) {
    try {
      clockTickCache = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      clockTickCache = 100
    }
  }
  return clockTickCache
}

interface MachineTicks {
  busy: number
  total: number
}

export function readMachineTicks(): MachineTicks | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? ''
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number)
      .concat(Array(8).fill(0))
    const busy = user! + nice! + system! + irq! + softirq! + steal!
    return { busy, total: busy + idle! + iowait! }
  } catch {
    return null
  }
}

export interface ProcessTicks {
  utime: number
  stime: number
  cutime: number
  cstime: number
  /** jiffies after boot */
  starttime: number
}

export function readProcessTicks(pid: number): ProcessTicks | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const field = (n: number) => Number(fields[n - 3])
    if (fields[0] === 'Z' || fields[0] === 'X') return null
    return { utime: field(14), stime: field(15), cutime: field(16), cstime: field(17), starttime: field(22) }
  } catch {
    return null
  }
}

/** VmHWM (peak resident set) in MB, NaN when the process is gone. */
export function peakRssMb(pid: number | undefined): number {
  if (!pid) return NaN
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Math.round(Number(match[1]) / 1024) : NaN
  } catch {
    return NaN
  }
}

function uptimeTicks(): number {
  try {
    return Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * clockTick()
  } catch {
    return NaN
  }
}

/** The pids of running processes whose command line contains `marker` (not this process). */
export function pidsByCommandLine(marker: string): number[] {
  const found: number[] = []
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return found
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    try {
      const cmdline = readFileSync(join('/proc', entry, 'cmdline'), 'utf8').replaceAll('\0', ' ')
      if (cmdline.includes(marker)) found.push(Number(entry))
    } catch {
      /* gone */
    }
  }
  return found
}

/** The pid in a pid file if that process runs (and its command line has `marker`), else by command line. */
export function serverPids(pidFile: string, marker: string): number[] {
  const pid = readPid(pidFile)
  if (pid !== null) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(marker)) return [pid]
    } catch {
      /* not running */
    }
  }
  return pidsByCommandLine(marker)
}

export interface TrackedSpec {
  /** one line of the report, e.g. `bridge-1`, `kafka` */
  name: string
  /** what it adds up into, e.g. `bridges`, `kafka`, `clickhouse` */
  group: string
  /** resolved at every sample; an empty list when not running */
  pids: () => number[] | number | null | undefined
  /** add cutime + cstime (CPU of children it has reaped) */
  children?: boolean
}

export interface ProcessCost {
  name: string
  group: string
  pids: number[]
  cpuSeconds: number
  peakRssMb: number
}

export interface CpuReport {
  wallSeconds: number
  clockTick: number
  cores: number
  /** busy CPU-seconds of the whole machine */
  machineCpuSeconds: number
  /** busy share of all cores, 0..1 */
  machineBusy: number
  processes: ProcessCost[]
  /** CPU-seconds per group, plus `other` = machine - every tracked process (never below 0) */
  groups: Record<string, number>
}

interface PidState {
  first: number
  last: number
  rss: number
}

/**
 * Samples at start(), every `intervalMs`, and at stop(); stop() returns the window's report. One meter
 * measures one window.
 */
export class CpuMeter {
  private readonly specs: TrackedSpec[] = []
  private readonly state = new Map<string, Map<number, PidState>>()
  private machineStart: MachineTicks | null = null
  private windowStartTicks = 0
  private startedAt = 0
  private timer: NodeJS.Timeout | undefined

  private readonly intervalMs: number

  constructor(intervalMs = 1000) {
    this.intervalMs = intervalMs
  }

  track(spec: TrackedSpec): this {
    this.specs.push(spec)
    this.state.set(spec.name, new Map())
    if (this.startedAt) this.sampleOne(spec)
    return this
  }

  start(): this {
    this.startedAt = performance.now()
    this.windowStartTicks = uptimeTicks()
    this.machineStart = readMachineTicks()
    for (const spec of this.specs) this.sampleOne(spec)
    this.timer = setInterval(() => this.sample(), this.intervalMs)
    this.timer.unref()
    return this
  }

  sample(): void {
    for (const spec of this.specs) this.sampleOne(spec)
  }

  private sampleOne(spec: TrackedSpec): void {
    const resolved = spec.pids()
    const pids = Array.isArray(resolved) ? resolved : resolved ? [resolved] : []
    const perPid = this.state.get(spec.name) as Map<number, PidState>
    for (const pid of pids) {
      const ticks = readProcessTicks(pid)
      if (!ticks) continue
      const used = ticks.utime + ticks.stime + (spec.children ? ticks.cutime + ticks.cstime : 0)
      const known = perPid.get(pid)
      const rss = peakRssMb(pid)
      if (known) {
        known.last = used
        if (Number.isFinite(rss)) known.rss = rss
      } else {
        // Started during the window: everything it used counts. Otherwise: from now on.
        const startedInWindow = ticks.starttime >= this.windowStartTicks
        perPid.set(pid, { first: startedInWindow ? 0 : used, last: used, rss })
      }
    }
  }

  stop(): CpuReport {
    this.sample()
    if (this.timer) clearInterval(this.timer)
    const machineEnd = readMachineTicks()
    const tick = clockTick()
    const wallSeconds = (performance.now() - this.startedAt) / 1000
    const cores = cpus().length
    const machineCpuSeconds =
      this.machineStart && machineEnd ? (machineEnd.busy - this.machineStart.busy) / tick : NaN
    const machineTotal =
      this.machineStart && machineEnd ? (machineEnd.total - this.machineStart.total) / tick : NaN
    const processes: ProcessCost[] = this.specs.map((spec) => {
      const perPid = this.state.get(spec.name) as Map<number, PidState>
      let ticks = 0
      let rss = NaN
      for (const s of perPid.values()) {
        ticks += s.last - s.first
        if (Number.isFinite(s.rss)) rss = Number.isFinite(rss) ? Math.max(rss, s.rss) : s.rss
      }
      return {
        name: spec.name,
        group: spec.group,
        pids: [...perPid.keys()],
        cpuSeconds: ticks / tick,
        peakRssMb: rss
      }
    })
    const groups: Record<string, number> = {}
    for (const p of processes) groups[p.group] = (groups[p.group] ?? 0) + p.cpuSeconds
    const tracked = processes.reduce((sum, p) => sum + p.cpuSeconds, 0)
    groups.other = Math.max(0, machineCpuSeconds - tracked)
    return {
      wallSeconds,
      clockTick: tick,
      cores,
      machineCpuSeconds,
      machineBusy: machineTotal > 0 ? machineCpuSeconds / machineTotal : NaN,
      processes,
      groups
    }
  }
}

/** Seconds since `pid` started (NaN when it is gone). */
export function processAgeSeconds(pid: number): number {
  const ticks = readProcessTicks(pid)
  return ticks ? (uptimeTicks() - ticks.starttime) / clockTick() : NaN
}

/**
 * A JVM's first minutes include its JIT compiling the hot paths: pipeline benchmarks at 5,000 msg/s back to
 * back after `stack up` billed Kafka 29.8 / 24.0 / 14.3 / 12.1 % of a core with the broker 23 / 74 / 125 / 177 s
 * old (2026-12-01, docs/benchmarks.md). Below this age a benchmark says so before it measures.
 */
const WARM_UP_SECONDS = 180

/** ClickHouse data directories a journal-less note was printed for (trackStack). */
const warnedData = new Set<string>()

/**
 * The usual neighbours: the local stack's Kafka broker (or its cluster's) and ClickHouse server (or `clickhouse`, e.g. a
 * benchmark's private server), and this process.
 */
export function trackStack(
  meter: CpuMeter,
  stackHome: string,
  options: {
    clickhouse?: () => number[] | number
    self?: boolean
    /** Told when Kafka started less than WARM_UP_SECONDS ago, or ClickHouse's data is on ext4 without a journal (its figures will run high). */
    warn?: (line: string) => void
    /** The measured ClickHouse's data directory (default: the stack's). */
    clickhouseData?: string
  } = {}
): CpuMeter {
  const clickhouseData = options.clickhouseData ?? join(stackHome, 'clickhouse', 'data')
  const journalLess =
    options.warn && !warnedData.has(clickhouseData) ? journalLessWarning(clickhouseData) : null
  if (journalLess) {
    warnedData.add(clickhouseData) // once per benchmark, not at every run
    options.warn?.(`note: ${journalLess}`)
  }
  // The single broker, and the nodes of the local cluster (`stack up --cluster`) when they run.
  const kafkaPids = () =>
    [
      join(stackHome, 'kafka'),
      ...[1, 2, 3].map((n) => join(stackHome, 'kafka-cluster', `node-${n}`))
    ].flatMap((dir) => serverPids(join(dir, 'kafka.pid'), join(dir, 'server.properties')))
  const youngest = options.warn
    ? Math.min(...kafkaPids().map(processAgeSeconds).filter(Number.isFinite))
    : Infinity
  if (youngest < WARM_UP_SECONDS)
    options.warn?.(
      `note: Kafka started ${Math.round(youngest)} s ago; a JVM's first minutes include JIT compilation, so ` +
        `its CPU figures run high (2-2.5x here). For steady figures, run again once it has been up ${WARM_UP_SECONDS / 60} minutes.`
    )
  meter.track({ name: 'kafka', group: 'kafka', pids: kafkaPids }).track({
    name: 'clickhouse',
    group: 'clickhouse',
    pids:
      options.clickhouse ??
      (() => [
        ...serverPids(
          join(stackHome, 'clickhouse', 'clickhouse.pid'),
          join(stackHome, 'clickhouse', 'config.xml')
        ),
        // The local cluster's four nodes (stack up --cluster), when they run.
        ...[1, 2, 3, 4].flatMap((n) => {
          const dir = join(stackHome, 'clickhouse-cluster', `node-${n}`)
          return readPid(join(dir, 'clickhouse.pid')) === null
            ? []
            : serverPids(join(dir, 'clickhouse.pid'), join(dir, 'config.xml'))
        })
      ])
  })
  if (options.self !== false) meter.track({ name: 'bench', group: 'bench', pids: () => process.pid })
  return meter
}

const round = (n: number, digits = 0) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : null)

/** CPU-µs per message of the machine, each group and each process (a JSON-friendly summary). */
export function costPerMessage(report: CpuReport, messages: number) {
  const us = (seconds: number) => round((seconds * 1e6) / messages, 1)
  return {
    wallSeconds: round(report.wallSeconds, 2),
    machineCpuSeconds: round(report.machineCpuSeconds, 2),
    machineBusyPct: round(report.machineBusy * 100, 1),
    machineUsPerMsg: us(report.machineCpuSeconds),
    groupsUsPerMsg: Object.fromEntries(Object.entries(report.groups).map(([g, s]) => [g, us(s)])),
    groupsCpuSeconds: Object.fromEntries(Object.entries(report.groups).map(([g, s]) => [g, round(s, 2)])),
    processes: report.processes.map((p) => ({
      name: p.name,
      cpuSeconds: round(p.cpuSeconds, 2),
      usPerMsg: us(p.cpuSeconds),
      peakRssMb: round(p.peakRssMb)
    }))
  }
}

/** CPU in % of one core over the window: machine, each group and each process. */
export function corePercent(report: CpuReport) {
  const pct = (seconds: number) => round((seconds / report.wallSeconds) * 100, 1)
  return {
    wallSeconds: round(report.wallSeconds, 2),
    cores: report.cores,
    machinePct: pct(report.machineCpuSeconds),
    groupsPct: Object.fromEntries(Object.entries(report.groups).map(([g, s]) => [g, pct(s)])),
    processesPct: Object.fromEntries(report.processes.map((p) => [p.name, pct(p.cpuSeconds)]))
  }
}

/** Aligned text table; the first row is the header, numbers align right. */
export function table(rows: (string | number | null)[][]): string {
  const text = rows.map((row) => row.map((cell) => (cell === null ? '—' : String(cell))))
  const widths = text[0]!.map((_, i) => Math.max(...text.map((row) => (row[i] ?? '').length)))
  const numeric = (s: string) => /^[-+]?[\d,.]+( ?%| ms| MB| s)?$/.test(s) || s === '—'
  return text
    .map((row) =>
      row
        .map((cell, i) => (i > 0 && numeric(cell) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd()
    )
    .join('\n')
}

export function median(values: number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
