import { addToScope, type ScopeMap } from '../core/candles.ts'
import type { MarketMessage } from '../core/messages.ts'
import { partitionKey, type PartitionKey } from '../core/offset-tracker.ts'
import type { DeadLetter, SourceMessage } from './ports.ts'

let nextBatchId = 1

/** Messages collected for one destination (a table, or the dead-letter topic) until they are flushed together. */
export class Batch {
  readonly id = nextBatchId++
  readonly createdAt = Date.now()
  readonly lines: string[] = []
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
    this.lines.length = 0
    this.sources.length = 0
    this.letters.length = 0
  }

  addRow(line: string, source: SourceMessage, message?: MarketMessage): void {
    this.lines.push(line)
    this.#track(source)
    if (message?.type === 'trade') addToScope(this.candleScopes, message)
  }

  addLetter(letter: DeadLetter): void {
    this.letters.push(letter)
    this.#track(letter.source)
  }

  #track(source: SourceMessage): void {
    this.size++
    this.sources.push(source)
    const key = partitionKey(source.topic, source.partition)
    const range = this.ranges.get(key)
    if (!range) this.ranges.set(key, [source.offset, source.offset])
    else {
      if (source.offset < range[0]) range[0] = source.offset
      if (source.offset > range[1]) range[1] = source.offset
    }
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
    const half = Math.ceil(this.lines.length / 2)
    this.lines.forEach((line, i) => (i < half ? left : right).addRow(line, this.sources[i] as SourceMessage))
    return [left, right]
  }
}
