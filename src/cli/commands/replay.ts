import type { Command } from 'commander'
import { ReplayFormats, type ReplayFormat } from '../../core/replay-formats.ts'
import { ErrorCodes, TickbridgeError } from '../../errors.ts'
import { runReplay, type ReplayResult } from '../../ops/replay.ts'
import { parseVia } from '../../sim/load-transport.ts'
import { wholeNumber } from '../arguments.ts'
import { cliContext } from '../context.ts'
import { formatTable, printResult } from '../output.ts'
import { formatCount, formatDuration, ProgressLine, progressBar } from '../progress-line.ts'

/** `tickbridge replay <files…>`: historical data from files into Kafka; exit 1 when a line had to be skipped. */
export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description(
      'send historical data from files (canonical CSV or JSON lines, Binance trade dumps; .gz too) into the pipeline at a rate or as fast as possible'
    )
    .argument('<files...>', 'files, replayed one after the other')
    .option('--format <format>', `auto (by file name) | ${ReplayFormats.join(' | ')}`, 'auto')
    .option('-r, --rate <msgPerSec>', 'messages per second', wholeNumber('--rate', 1))
    .option('--max', 'as fast as the producer takes them (the default without --rate)')
    .option('--exchange <name>', 'binance format: the exchange name in the messages', 'binance')
    .option('--symbol <symbol>', 'binance format: the symbol (default: from the file name, BTCUSDT-trades-…)')
    .option('--via <transport>', 'kafka | nats', 'kafka')
    .option('--json', 'print JSON')
    .action(
      async (
        files: string[],
        options: {
          format: string
          rate?: number
          max?: boolean
          exchange: string
          symbol?: string
          via: string
          json?: boolean
        }
      ) => {
        const { config } = cliContext()
        if (options.rate !== undefined && options.max)
          throw new TickbridgeError(ErrorCodes.INVALID_ARGUMENT, '--rate and --max exclude each other', {
            hint: 'Give --rate N for a steady rate, or --max (the default) for as fast as possible.'
          })
        if (options.format !== 'auto' && !(ReplayFormats as readonly string[]).includes(options.format))
          throw new TickbridgeError(ErrorCodes.INVALID_ARGUMENT, `unknown --format "${options.format}"`, {
            hint: `Use auto, ${ReplayFormats.join(', ')}.`
          })
        const via = parseVia(options.via)
        const line = new ProgressLine()
        const abort = new AbortController()
        const stop = () => abort.abort()
        process.once('SIGINT', stop).once('SIGTERM', stop)
        try {
          const result = await runReplay(
            config,
            {
              files,
              format: options.format as ReplayFormat | 'auto',
              exchange: options.exchange,
              ...(options.symbol ? { symbol: options.symbol } : {}),
              rate: options.rate ?? null,
              via,
              signal: abort.signal
            },
            (p) => {
              const fraction = p.bytesTotal > 0 ? p.bytesRead / p.bytesTotal : 1
              const seconds = p.elapsedMs / 1000
              const eta = fraction > 0 ? seconds / fraction - seconds : Number.POSITIVE_INFINITY
              line.update(
                `replaying ${progressBar(fraction)} ${Math.floor(fraction * 100)} %  sent ${formatCount(p.sent)}` +
                  ` (${formatCount(p.sent / Math.max(0.001, seconds))} msg/s)` +
                  (p.skipped ? `, skipped ${formatCount(p.skipped)}` : '') +
                  `, ETA ${formatDuration(eta)}`
              )
            },
            (bad) => {
              line.done()
              console.error(`${bad.file}:${bad.line}: skipped: ${bad.reason}`)
            }
          )
          line.done()
          printResult(result, options.json === true, () => summary(result, abort.signal.aborted))
          if (result.skipped > 0 || abort.signal.aborted) process.exitCode = 1
        } finally {
          process.off('SIGINT', stop).off('SIGTERM', stop)
        }
      }
    )
}

function summary(r: ReplayResult, interrupted: boolean): string {
  const table = formatTable(
    r.files.map((f) => ({
      file: f.path,
      format: f.format + (f.symbol ? ` (${f.symbol})` : ''),
      lines: formatCount(f.lines),
      messages: formatCount(f.messages),
      skipped: formatCount(f.skipped)
    }))
  )
  const lines = [
    table,
    '',
    `${interrupted ? 'INTERRUPTED: ' : ''}replayed ${formatCount(r.sent)} messages in ${r.seconds.toFixed(2)} s = ${formatCount(r.rate)} msg/s`
  ]
  if (r.skipped > 0)
    lines.push(
      `skipped ${formatCount(r.skipped)} bad line(s)${r.skipped > r.badLines.length ? ` (the first ${r.badLines.length} are listed above)` : ''}`
    )
  return lines.join('\n')
}
