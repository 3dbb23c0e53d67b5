import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

/** What one scenario of the fault suite measured: the figures of the report table and of the JSON file. */
export interface FaultRecord {
  kind: string
  /** Seconds since the load started. */
  atS: number
  /** How long the fault lasted (server or line away), null for an instant fault (a kill that is restarted). */
  outageS: number | null
  /** From the fault's end: rows flowing again, and everything produced before its end committed. */
  rowsResumeS: number | null
  caughtUpS: number | null
  detail: Record<string, unknown>
}

export interface ProcessRecord {
  name: string
  state: 'ready' | 'running' | 'alive, not ready' | 'exited'
  starts: number
  /** Every exit: who caused it (a fault, the end of the scenario) or the process's own last error line. */
  exits: string[]
  unexpectedExits: number
}

export interface ScenarioRecord {
  id: string
  title: string
  passed: boolean
  /** Why it failed (the first failed check), or null. */
  error: string | null
  startedAt: string
  durationS: number
  rate: number
  messages: {
    trades: number
    depth: number
    malformed: number
    oversized: number
    /** Trades the feed counted, and how many of its messages it dropped (scenario g). */
    feedTrades?: number
    feedDropped?: number
  }
  faults: FaultRecord[]
  rows: { trades: number; tradesUnique: number; tradesRaw: number; depth: number; depthUnique: number } | null
  /** Expected minus rows after FINAL. */
  lost: number | null
  /** count() FINAL minus uniqExact(identity): must be 0. */
  duplicates: number | null
  deadLetters: number | null
  candlesCompared: number | null
  committedToEnd: boolean
  /** From the load's stop until committed offsets equal end offsets. */
  drainS: number | null
  processes: ProcessRecord[]
  notes: string[]
  timeline: { t: number; lag: number | null; rows: number | null }[]
}

const fmt = (value: number | null | undefined, digits = 1): string =>
  value === null || value === undefined ? '–' : value.toFixed(digits)

/** The report table: one line per scenario. */
export function formatTable(records: ScenarioRecord[]): string {
  const header = [
    'scenario',
    'result',
    'trades',
    'depth',
    'malformed',
    'DLQ',
    'feed gap',
    'faults',
    'lost',
    'dups',
    'resume s',
    'caught up s',
    'drain s'
  ]
  const rows = records.map((r) => {
    const resume = r.faults.map((f) => f.rowsResumeS).filter((x): x is number => x !== null)
    const caught = r.faults.map((f) => f.caughtUpS).filter((x): x is number => x !== null)
    const range = (xs: number[]) =>
      xs.length === 0 ? '–' : xs.length === 1 ? fmt(xs[0]) : `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`
    return [
      `${r.id} ${r.title}`,
      r.passed ? 'PASS' : 'FAIL',
      String(r.messages.trades + (r.messages.feedTrades ?? 0)),
      String(r.messages.depth),
      String(r.messages.malformed),
      r.deadLetters === null ? '–' : String(r.deadLetters),
      r.messages.feedDropped === undefined ? '–' : String(r.messages.feedDropped),
      faultSummary(r),
      r.lost === null ? '–' : String(r.lost),
      r.duplicates === null ? '–' : String(r.duplicates),
      range(resume),
      range(caught),
      fmt(r.drainS)
    ]
  })
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  const failures = records
    .filter((r) => !r.passed)
    .map((r) => `${r.id}: ${r.error ?? 'failed'}`)
    .join('\n')
  return [line(header), ...rows.map(line), ...(failures ? ['', failures] : [])].join('\n')
}

function faultSummary(r: ScenarioRecord): string {
  const counts = new Map<string, number>()
  for (const f of r.faults) counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1)
  const outage = r.faults.map((f) => f.outageS).filter((x): x is number => x !== null)
  const parts = [...counts].map(([kind, n]) => (n > 1 ? `${n}× ${kind}` : kind))
  return parts.join(', ') + (outage.length ? ` (${outage.map((s) => `${s.toFixed(0)} s`).join(', ')})` : '')
}

export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n')
}
