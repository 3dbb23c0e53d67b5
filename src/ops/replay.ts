import { statSync } from 'node:fs'
import { basename } from 'node:path'
import type { Config } from '../config/types.ts'
import { messageTypes, type MessageType } from '../core/messages.ts'
import {
  lineParser,
  ReplayFormats,
  symbolFromBinanceFileName,
  type LineParser,
  type ReplayFormat
} from '../core/replay-formats.ts'
import { ErrorCodes, TickbridgeError } from '../errors.ts'
import { topicForType } from '../kafka/topics.ts'
import { sendPaced, type OutgoingRecord } from '../sim/kafka-load.ts'
import { openTransport, type Via } from '../sim/load-transport.ts'
import { LineReader } from './line-reader.ts'

/**
 * `tickbridge replay`: historical market data from files into Kafka, at a rate or as fast as the producer
 * takes it (docs/replay.md). Files are streamed, one after the other; a line that is not a valid message is
 * skipped, counted and reported with its file and line number, and never stops the replay.
 */
export interface ReplayOptions {
  files: string[]
  /** 'auto': by extension (`.csv` canonical CSV, `.jsonl`/`.ndjson` JSON lines; `.gz` looked through). */
  format: ReplayFormat | 'auto'
  /** For `binance`: the exchange name (default binance) and symbol (default: from the file name). */
  exchange?: string
  symbol?: string
  /** msg/s, or null for as fast as possible. */
  rate: number | null
  via: Via
  signal?: AbortSignal
}

export interface ReplayFile {
  path: string
  format: ReplayFormat
  bytes: number
  symbol?: string
}

export interface BadLine {
  file: string
  line: number
  reason: string
}

export interface ReplayProgress {
  sent: number
  skipped: number
  bytesRead: number
  bytesTotal: number
  elapsedMs: number
}

export interface ReplayResult {
  files: (ReplayFile & { lines: number; messages: number; skipped: number })[]
  sent: number
  skipped: number
  seconds: number
  rate: number
  /** The first 20 bad lines (all of them are counted in `skipped`). */
  badLines: BadLine[]
}

const REPORTED_BAD_LINES = 20

/** Resolves each file's format (and, for Binance dumps, its symbol), and checks that every file is readable. */
export function planReplay(options: Pick<ReplayOptions, 'files' | 'format' | 'symbol'>): ReplayFile[] {
  if (options.files.length === 0)
    throw new TickbridgeError(ErrorCodes.INVALID_ARGUMENT, 'no files to replay', {
      hint: 'Name one or more files: tickbridge replay trades.csv'
    })
  return options.files.map((path) => {
    let bytes: number
    try {
      const stat = statSync(path)
      if (!stat.isFile()) throw new Error('not a file')
      bytes = stat.size
    } catch (error) {
      throw new TickbridgeError(
        ErrorCodes.INVALID_ARGUMENT,
        `cannot read ${path}: ${(error as Error).message}`,
        {
          cause: error
        }
      )
    }
    const format = options.format === 'auto' ? formatOf(path) : options.format
    if (format !== 'binance') return { path, format, bytes }
    const symbol = options.symbol ?? symbolFromBinanceFileName(basename(path))
    if (!symbol)
      throw new TickbridgeError(ErrorCodes.INVALID_ARGUMENT, `which symbol are the trades of ${path}?`, {
        hint: "Pass --symbol BTCUSDT (or keep the dump's file name, e.g. BTCUSDT-trades-2024-01-01.csv)."
      })
    return { path, format, bytes, symbol }
  })
}

function formatOf(path: string): ReplayFormat {
  const name = path.toLowerCase().replace(/\.gz$/, '')
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson')) return 'jsonl'
  if (symbolFromBinanceFileName(basename(path))) return 'binance'
  if (name.endsWith('.csv')) return 'csv'
  throw new TickbridgeError(ErrorCodes.INVALID_ARGUMENT, `cannot tell the format of ${path} from its name`, {
    hint: `Pass --format ${ReplayFormats.join('|')}.`
  })
}

export async function runReplay(
  config: Config,
  options: ReplayOptions,
  onProgress: (progress: ReplayProgress) => void = () => undefined,
  /** Called for each of the first 20 bad lines. */
  onBadLine: (bad: BadLine) => void = () => undefined
): Promise<ReplayResult> {
  const files = planReplay(options)
  const types = files.some((f) => f.format === 'jsonl') ? messageTypes : (['trade'] as const)
  const topics = types.map((t) => topicForType(config.topics, t))
  const transport = await openTransport(config, options.via, 'tickbridge-replay', topics)
  const source = new ReplaySource(files, options.exchange ?? 'binance', onBadLine)
  const bytesTotal = files.reduce((sum, f) => sum + f.bytes, 0)
  const started = Date.now()
  const report = (sent: number) =>
    onProgress({
      sent,
      skipped: source.skipped,
      bytesRead: source.bytesRead,
      bytesTotal,
      elapsedMs: Date.now() - started
    })
  try {
    const paced = await sendPaced(
      (records) => transport.send(records),
      (max, now) => source.next(max, now, (type) => topicForType(config.topics, type)),
      {
        rate: options.rate,
        maxBatch: 10_000,
        tickMs: 10,
        ...(options.signal ? { signal: options.signal } : {}),
        onSent: report
      }
    )
    report(paced.sent)
    return {
      files: source.perFile,
      sent: paced.sent,
      skipped: source.skipped,
      seconds: Math.round(paced.seconds * 1000) / 1000,
      rate: paced.seconds > 0 ? Math.round(paced.sent / paced.seconds) : 0,
      badLines: source.badLines.slice(0, REPORTED_BAD_LINES)
    }
  } finally {
    source.close()
    await transport.close().catch(() => undefined)
  }
}

/** The files' messages in order, as many at a time as the pacer asks for. */
class ReplaySource {
  readonly perFile: ReplayResult['files']
  readonly badLines: BadLine[] = []
  skipped = 0
  readonly #files: ReplayFile[]
  readonly #exchange: string
  readonly #onBad: (bad: BadLine) => void
  #index = -1
  #reader: LineReader | null = null
  #chunks: AsyncGenerator<string[]> | null = null
  #parser: LineParser | null = null
  #lines: string[] = []
  #at = 0
  #lineNo = 0
  #sawContent = false
  #doneBytes = 0

  constructor(files: ReplayFile[], exchange: string, onBad: (bad: BadLine) => void) {
    this.#files = files
    this.#exchange = exchange
    this.#onBad = onBad
    this.perFile = files.map((f) => ({ ...f, lines: 0, messages: 0, skipped: 0 }))
  }

  get bytesRead(): number {
    return this.#doneBytes + (this.#reader?.bytesRead ?? 0)
  }

  async next(max: number, now: number, topicFor: (type: MessageType) => string): Promise<OutgoingRecord[]> {
    const records: OutgoingRecord[] = []
    while (records.length < max) {
      if (this.#at >= this.#lines.length && !(await this.#refill())) break
      const line = this.#lines[this.#at++] as string
      const file = this.perFile[this.#index] as ReplayResult['files'][number]
      this.#lineNo++
      file.lines++
      const result = (this.#parser as LineParser).parse(line, !this.#sawContent, now)
      if (line.trim() !== '') this.#sawContent = true
      if (result.kind === 'skip') continue
      if (result.kind === 'bad') {
        this.skipped++
        file.skipped++
        const bad = { file: file.path, line: this.#lineNo, reason: result.reason }
        if (this.badLines.length < REPORTED_BAD_LINES) {
          this.badLines.push(bad)
          this.#onBad(bad)
        }
        continue
      }
      file.messages++
      records.push({ topic: topicFor(result.message.type), key: result.key, value: result.value })
    }
    return records
  }

  /** The next chunk of lines, opening the next file when one ends; false when every file is read. */
  async #refill(): Promise<boolean> {
    for (;;) {
      if (this.#chunks) {
        const next = await this.#chunks.next()
        if (!next.done) {
          this.#lines = next.value
          this.#at = 0
          return true
        }
        this.#doneBytes += this.#files[this.#index]?.bytes ?? 0
        this.#reader?.close()
        this.#reader = null
        this.#chunks = null
      }
      const file = this.#files[++this.#index]
      if (!file) return false
      this.#reader = new LineReader(file.path)
      this.#chunks = this.#reader.lines()
      this.#parser = lineParser(file.format, { exchange: this.#exchange, symbol: file.symbol ?? '' })
      this.#lineNo = 0
      this.#sawContent = false
    }
  }

  close(): void {
    this.#reader?.close()
  }
}
