import { addToScope, addToScopeByKey, type ScopeMap } from '../core/candles.ts'
import type { MarketMessage } from '../core/messages.ts'
import { RowBody } from '../core/row-body.ts'
import { writeTradeRow, type TradeSpans } from '../core/trade-fast-path.ts'
import { BatchOffsets } from '../core/offset-tracker.ts'
import type { DeadLetter, SourceMessage } from './ports.ts'

/** Messages collected for one destination (a table, or the dead-letter topic) until they are flushed together. */
export class Batch {
  /**
   * The offsets read into this batch, per partition: given by the offset tracker, which holds them until the
   * batch is settled (a batch made without one, like a split half, only describes its rows' offsets).
   */
  readonly offsets: BatchOffsets
  readonly createdAt = Date.now()
  /** The insert body: one JSONEachRow row per valid message, written in place. */
  readonly body = new RowBody()
  readonly sources: SourceMessage[] = []
  readonly letters: DeadLetter[] = []
  /** exchange:symbol -> span of trade times, for the candle refresh after the insert */
  readonly candleScopes: ScopeMap = new Map()

  /** Messages in the batch (kept after releaseRows()). */
  size = 0

  constructor(offsets = new BatchOffsets()) {
    this.offsets = offsets
  }

  get id(): number {
    return this.offsets.id
  }

  /** The rows are written: drop them, keep what the commit and the candle refresh still need. */
  releaseRows(): void {
    this.body.release()
    this.sources.length = 0
    this.letters.length = 0
  }

  /**
   * Adds a row. Only the message's coordinates are kept, not the client's message object, so those die young
   * (measured: retaining them for a batch's lifetime cost a quarter of the bridge's CPU in GC).
   */
  addRow(line: string, source: SourceMessage, message?: MarketMessage): void {
    this.body.appendLine(line)
    if (message?.type === 'trade') addToScope(this.candleScopes, message)
    const { topic, partition, offset } = source
    this.#track({ topic, partition, offset, key: undefined, value: undefined })
  }

  /** Adds a canonical trade found by the fast path (core/trade-fast-path.ts), copied from its bytes. */
  addTrade(value: Buffer, spans: TradeSpans, source: SourceMessage): void {
    writeTradeRow(this.body, value, spans)
    const key = value.toString('latin1', spans.exchangeStart, spans.symbolEnd)
    addToScopeByKey(this.candleScopes, key, spans.ts, () => ({
      exchange: value.toString('latin1', spans.exchangeStart, spans.exchangeEnd),
      symbol: value.toString('latin1', spans.symbolStart, spans.symbolEnd)
    }))
    const { topic, partition, offset } = source
    this.#track({ topic, partition, offset, key: undefined, value: undefined })
  }

  /** Row `index` as sent, for a dead letter. */
  row(index: number): Buffer {
    return this.body.slice(index, index + 1)
  }

  addLetter(letter: DeadLetter): void {
    this.letters.push(letter)
    this.#track(letter.source)
  }

  #track(source: SourceMessage): void {
    this.size++
    this.sources.push(source)
    this.offsets.read(source.topic, source.partition, source.offset)
  }

  /** Deterministic: the same messages re-delivered build the same token (topic:partition:first-last, sorted). */
  dedupToken(): string {
    return this.offsets.ranges
      .map(({ key, first, last }) => `${key}:${first}-${last}`)
      .sort()
      .join(',')
  }

  /** Split in two halves, to isolate a row the server rejects. */
  split(): [Batch, Batch] {
    const left = new Batch()
    const right = new Batch()
    const rows = this.body.rows
    const half = Math.ceil(rows / 2)
    for (let i = 0; i < rows; i++)
      (i < half ? left : right).addRow(this.row(i).toString('utf8'), this.sources[i] as SourceMessage)
    return [left, right]
  }
}
