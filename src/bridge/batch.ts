import { MessageCoordinates, ScopeIndex } from '../core/batch-coordinates.ts'
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
  /** Each message's topic, partition and offset (see core/batch-coordinates.ts for why not objects). */
  readonly #coordinates = new MessageCoordinates()
  readonly letters: DeadLetter[] = []
  /** exchange:symbol -> span of trade times, for the candle refresh after the insert */
  readonly candleScopes: ScopeMap = new Map()
  /** candleScopes found by the key's bytes, for the fast path. */
  readonly #scopeIndex = new ScopeIndex()

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
    this.#coordinates.clear()
    this.letters.length = 0
  }

  /**
   * Adds a row. Only the message's coordinates are kept, not the client's message object, so those die young
   * (measured: retaining them for a batch's lifetime cost a quarter of the bridge's CPU in GC).
   */
  addRow(line: string, source: SourceMessage, message?: MarketMessage): void {
    this.body.appendLine(line)
    if (message?.type === 'trade') addToScope(this.candleScopes, message)
    this.#track(source)
  }

  /** Adds a canonical trade found by the fast path (core/trade-fast-path.ts), copied from its bytes. */
  addTrade(value: Buffer, spans: TradeSpans, source: SourceMessage): void {
    writeTradeRow(this.body, value, spans)
    const { exchangeStart, symbolEnd } = spans
    if (!this.#scopeIndex.widen(value, exchangeStart, symbolEnd, spans.ts)) {
      const key = value.toString('latin1', exchangeStart, symbolEnd)
      addToScopeByKey(this.candleScopes, key, spans.ts, () => ({
        exchange: value.toString('latin1', exchangeStart, spans.exchangeEnd),
        symbol: value.toString('latin1', spans.symbolStart, symbolEnd)
      }))
      this.#scopeIndex.remember(this.candleScopes, key, value, exchangeStart, symbolEnd)
    }
    this.#track(source)
  }

  /** Message `index`'s coordinates (key and value are not kept). */
  source(index: number): SourceMessage {
    return { ...this.#coordinates.at(index), key: undefined, value: undefined }
  }

  /** Every message's coordinates, in order (a copy; for splitting and tests). */
  get sources(): SourceMessage[] {
    return Array.from({ length: this.#coordinates.length }, (_, i) => this.source(i))
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
    const { topic, partition, offset } = source
    this.size++
    this.#coordinates.add(topic, partition, offset)
    this.offsets.read(topic, partition, offset)
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
      (i < half ? left : right).addRow(this.row(i).toString('utf8'), this.source(i))
    return [left, right]
  }
}
