/**
 * Which log files `tickbridge logs` shows and in what order it prints their lines (pure: no file IO).
 * A source is named after its role and instance: bridge-1, bridge-2, sim, feed-wallex, hub, kafka, clickhouse, …
 */
export interface LogSource {
  name: string
  path: string
}

export interface LogLine {
  source: string
  text: string
}

const INSTANCE_PREFIX = 'tickbridge-'

/**
 * No selector: every source. Otherwise the sources named exactly so (`bridge-2`, or by instance id
 * `tickbridge-bridge-2`) and those it prefixes as a role (`bridge` -> bridge-1, bridge-2; `clickhouse` -> its logs).
 */
export function selectLogSources(sources: LogSource[], selector?: string): LogSource[] {
  if (!selector) return sources
  const wanted = selector.startsWith(INSTANCE_PREFIX) ? selector.slice(INSTANCE_PREFIX.length) : selector
  return sources.filter(
    (s) =>
      s.name === wanted || ['-', '.', '/'].some((separator) => s.name.startsWith(`${wanted}${separator}`))
  )
}

/**
 * The time a log line was written, in epoch ms, where it says: pino's "time", or a leading date-time stamp
 * (read as UTC: the local stack runs in UTC; elsewhere only lines of one kind compare exactly).
 */
export function lineTime(text: string): number | null {
  if (text.startsWith('{')) {
    const match = /"time":(\d{10,16})/.exec(text)
    if (match) return Number(match[1])
  }
  // 2025-01-31 12:00:00,123 (log4j), 2025.01.31 12:00:00.123456 (ClickHouse), 2025-01-31T12:00:00.123Z
  const stamp = /^\[?(\d{4})[-.](\d{2})[-.](\d{2})[ T](\d{2}:\d{2}:\d{2})(?:[.,](\d{1,3}))?/.exec(text)
  if (stamp) {
    const [, year, month, day, time, fraction = '0'] = stamp
    const ms = Date.parse(`${year}-${month}-${day}T${time}.${fraction.padEnd(3, '0')}Z`)
    return Number.isFinite(ms) ? ms : null
  }
  return null
}

/**
 * The lines of several files in one sequence, by time where lines carry one. Each file's own order is kept:
 * a line without a time (a stack trace, say) stays right after the line before it.
 */
export function interleave(files: LogLine[][]): LogLine[] {
  const keyed = files.flatMap((lines, fileIndex) => {
    let latest = Number.NEGATIVE_INFINITY
    return lines.map((line, lineIndex) => {
      latest = Math.max(latest, lineTime(line.text) ?? latest)
      return { line, time: latest, fileIndex, lineIndex }
    })
  })
  keyed.sort((a, b) => a.time - b.time || a.fileIndex - b.fileIndex || a.lineIndex - b.lineIndex)
  return keyed.map((k) => k.line)
}

/** The last `count` non-empty lines of a chunk of text. */
export function lastLines(text: string, count: number): string[] {
  return count <= 0
    ? []
    : text
        .split('\n')
        .filter((line) => line.length > 0)
        .slice(-count)
}
