import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Command } from 'commander'
import { prettyFactory } from 'pino-pretty'
import type { Config } from '../../config/load.ts'
import {
  interleave,
  lastLines,
  selectLogSources,
  type LogLine,
  type LogSource
} from '../../core/log-lines.ts'
import { ErrorCodes, TickbridgeError } from '../../errors.ts'
import { stackLogFiles } from '../../stack/stack.ts'
import { wholeNumber } from '../arguments.ts'
import { cliContext } from '../context.ts'

export interface ShowLogsOptions {
  lines: number
  follow: boolean
  /** Print pino's JSON lines as they are instead of pretty. */
  raw: boolean
}

const FOLLOW_POLL_MS = 300

/** `tickbridge logs [role|instance] [-f]`: the local processes' logs, one sequence, readable. */
export function registerLogsCommand(program: Command): void {
  program
    .command('logs')
    .description(
      'show local logs: bridges, sim, feeds, hub, kafka, clickhouse, nats; several files interleaved by time'
    )
    .argument(
      '[source]',
      'a role (bridge, feed, kafka, clickhouse, …) or one instance (bridge-2, tickbridge-bridge-2)'
    )
    .option('-n, --lines <n>', 'lines from the end', wholeNumber('--lines', 0), 50)
    .option('-f, --follow', 'keep printing new lines (Ctrl-C stops)')
    .option('--raw', 'print JSON log lines as they are')
    .action(
      async (source: string | undefined, options: { lines: number; follow?: boolean; raw?: boolean }) => {
        await showLogs(cliContext().config, source ? [source] : [], {
          lines: options.lines,
          follow: options.follow === true,
          raw: options.raw === true
        })
      }
    )
}

/** Every log the local stack and processes write, named by role and instance. */
export function localLogSources(config: Config): LogSource[] {
  const dir = join(config.stack.home, 'logs')
  const own = existsSync(dir)
    ? readdirSync(dir)
        .filter((file) => file.endsWith('.log'))
        .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
        .map((file) => ({ name: file.slice(0, -'.log'.length), path: join(dir, file) }))
    : []
  const stack = stackLogFiles(config)
  const clickhouse = stack.clickhouse.map((path) => {
    const rest = basename(path, '.log').replace(/^clickhouse-server\.?/, '')
    return { name: rest ? `clickhouse.${rest}` : 'clickhouse', path }
  })
  return [
    ...own,
    ...stack.kafka.map((path) => ({ name: 'kafka', path })),
    ...clickhouse,
    ...stack.nats.map((path) => ({ name: 'nats', path }))
  ]
}

/** Prints the last lines of the logs the selectors pick (none: all), interleaved by time; then follows them. */
export async function showLogs(config: Config, selectors: string[], options: ShowLogsOptions): Promise<void> {
  const chosen = () => {
    const all = localLogSources(config).filter((s) => existsSync(s.path))
    return selectors.length === 0
      ? all
      : all.filter((s) => selectors.some((selector) => selectLogSources([s], selector).length > 0))
  }
  const sources = chosen()
  if (sources.length === 0 && !options.follow) {
    const known = localLogSources(config)
      .filter((s) => existsSync(s.path))
      .map((s) => s.name)
    throw new TickbridgeError(
      ErrorCodes.COMMAND_FAILED,
      selectors.length
        ? `no log matches "${selectors.join('", "')}"`
        : `no logs yet in ${join(config.stack.home, 'logs')}`,
      {
        hint: known.length
          ? `Logs there: ${known.join(', ')}.`
          : 'Start something first: `tickbridge stack up`, `tickbridge scale 2`, `tickbridge start`.'
      }
    )
  }
  const print = printer(options.raw, sources.length > 1)
  const tails = sources.map((s) =>
    lastLines(readTail(s.path, options.lines), options.lines).map((text) => ({ source: s.name, text }))
  )
  for (const line of interleave(tails).slice(-options.lines)) print(line)
  if (options.follow)
    await follow(chosen, new Map(sources.map((s) => [s.path, statSync(s.path).size])), print)
}

/** Polls the chosen files (and any that appear later) and prints complete new lines until the process is stopped. */
async function follow(
  chosen: () => LogSource[],
  positions: Map<string, number>,
  print: (line: LogLine) => void
) {
  const partial = new Map<string, string>()
  for (;;) {
    for (const source of chosen()) {
      const size = statSync(source.path).size
      let position = positions.get(source.path) ?? 0
      if (size < position) position = 0 // truncated or replaced: start over
      if (size === position) continue
      const text = (partial.get(source.path) ?? '') + readRange(source.path, position, size)
      positions.set(source.path, size)
      const lines = text.split('\n')
      partial.set(source.path, lines.pop() ?? '')
      for (const line of lines) if (line.length > 0) print({ source: source.name, text: line })
    }
    await sleep(FOLLOW_POLL_MS)
  }
}

function printer(raw: boolean, prefixed: boolean): (line: LogLine) => void {
  const pretty = prettyFactory({
    colorize: process.stdout.isTTY === true,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,hostname'
  })
  const width = 12
  return (line) => {
    let text = line.text
    if (!raw && text.startsWith('{')) {
      try {
        text = pretty(text).trimEnd()
      } catch {
        // not pino JSON after all: print it as it is
      }
    }
    process.stdout.write(prefixed ? `${line.source.padEnd(width)} | ${text}\n` : `${text}\n`)
  }
}

/** Enough of the end of a file for `lines` lines (a partial first line is dropped). */
function readTail(path: string, lines: number): string {
  const size = statSync(path).size
  const start = Math.max(0, size - Math.max(64 * 1024, lines * 4 * 1024))
  const text = readRange(path, start, size)
  return start === 0 ? text : text.slice(text.indexOf('\n') + 1)
}

function readRange(path: string, start: number, end: number): string {
  const buffer = Buffer.alloc(end - start)
  const fd = openSync(path, 'r')
  try {
    const read = readSync(fd, buffer, 0, buffer.length, start)
    return buffer.subarray(0, read).toString('utf8')
  } finally {
    closeSync(fd)
  }
}
