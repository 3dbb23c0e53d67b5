import { addToScope, addToScopeByKey, type ScopeMap } from '../core/candles.ts'
import type { MarketMessage } from '../core/messages.ts'
import { RowBody } from '../core/row-body.ts'
import { writeTradeRow, type TradeSpans } from '../core/trade-fast-path.ts'
import { partitionKey, type PartitionKey } from '../core/offset-tracker.ts'
import type { DeadLetter, SourceMessage } from './ports.ts'

let nextBatchId = 1

/** Messages collected for one destination (a table, or the dead-letter topic) until they are flushed together. */
export class Batch {
  readonly id = nextBatchId++
  readonly createdAt = Date.now()
  /** The insert body: one JSONEachRow row per valid message, written in place. */
  readonly body = new RowBody()
  readonly sources: SourceMessage[] = []
  readonly letters: DeadLetter[] = []
  /** partition -> [lowest, highest] offset in this batch, for the deduplication token */
  readonly ranges = new Map<PartitionKey, [bigint, bigint]>()
  /** exchange:symbol -> span of trade times, for the candle refresh after the insert */
  readonly candleScopes: ScopeMap = new Map()

  /** Messages in the batch (kept after releaseRows()). */
  size = 0

  /** The rows are written: drop them, keep what the commit and the candle refresh still need. */
  releaseRows(): void {
    this.body.release()
    this.sources.length = 0
    this.letters.length = 0
  }

  /**
   * Adds a row. Only the message's coordinates are kept, not the client's message object, so those die young
   * (measured: retaining them for a batch's lifetime cost a quarter of the bridge's CPU in GC).
   * Returns true when this lowered the batch's first offset of the partition (the offset tracker needs to know).
   */
  addRow(line: string, source: SourceMessage, message?: MarketMessage): boolean {
    this.body.appendLine(line)
    if (message?.type === 'trade') addToScope(this.candleScopes, message)
    const { topic, partition, offset } = source
    return this.#track({ topic, partition, offset, key: undefined, value: undefined })
  }

  /** Adds a canonical trade found by the fast path (core/trade-fast-path.ts), copied from its bytes. */
  addTrade(value: Buffer, spans: TradeSpans, source: SourceMessage): boolean {
    writeTradeRow(this.body, value, spans)
    const key = value.toString('latin1', spans.exchangeStart, spans.symbolEnd)
    addToScopeByKey(this.candleScopes, key, spans.ts, () => ({
      exchange: value.toString('latin1', spans.exchangeStart, spans.exchangeEnd),
      symbol: value.toString('latin1', spans.symbolStart, spans.symbolEnd)
    }))
    const { topic, partition, offset } = source
    return this.#track({ topic, partition, offset, key: undefined, value: undefined })
  }

  /** Row `index` as sent, for a dead letter. */
  row(index: number): Buffer {
    return this.body.slice(index, index + 1)
  }

  addLetter(letter: DeadLetter): boolean {
    this.letters.push(letter)
    return this.#track(letter.source)
  }

  #lastTopic = ''
  #lastPartition = -1
  #lastRange: [bigint, bigint] | undefined

  #track(source: SourceMessage): boolean {
    this.size++
    this.sources.push(source)
    let range = this.#lastRange
    if (source.partition !== this.#lastPartition || source.topic !== this.#lastTopic || !range) {
      const key = partitionKey(source.topic, source.partition)
      range = this.ranges.get(key)
      if (!range) {
        range = [source.offset, source.offset]
        this.ranges.set(key, range)
        this.#remember(source, range)
        return true
      }
      this.#remember(source, range)
    }
    if (source.offset > range[1]) range[1] = source.offset
    if (source.offset < range[0]) {
      range[0] = source.offset
      return true
    }
    return false
  }

  #remember(source: SourceMessage, range: [bigint, bigint]): void {
    this.#lastTopic = source.topic
    this.#lastPartition = source.partition
    this.#lastRange = range
  }

  /** Deterministic: the same messages re-delivered build the same token (topic:partition:first-last, sorted). */
  dedupToken(): string {
    return [...this.ranges]
      .map(([key, [first, last]]) => `${key}:${first}-${last}`)
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
