import { messageKey, type DepthMessage, type MarketMessage, type QuoteMessage } from '../core/messages.ts'
import type { OutgoingRecord } from './kafka-load.ts'
import { TradeGenerator } from './market.ts'

/**
 * The messages of one `tickbridge loadtest` run: canonical trades, depth snapshots and quotes, round-robin
 * over the chosen types and symbols, under exchange `loadtest` and symbols of the run's own (`LT<run>-<n>`), so the run's
 * rows are found by a primary-key prefix and never collide with another run's. Every message of a batch
 * carries the batch's `now` as recv_ts. Depth and quotes get a `ts` of their own per symbol (identity is
 * exchange, symbol, ts), so none collapse. Pure and deterministic for a run id and seed.
 */
export const LOAD_EXCHANGE = 'loadtest'
export const LoadTypes = ['trade', 'depth', 'quote'] as const
export type LoadType = (typeof LoadTypes)[number]

export function loadSymbolPrefix(runId: string): string {
  return `LT${runId}-`
}

/**
 * `n` symbols of the run. With `bucketOf` (the partition a symbol's key goes to) and the number of buckets,
 * names are picked so that every partition gets the same number of symbols (±1), so round-robin messages
 * spread evenly and the share per instance shows the partition assignment, not hash luck.
 */
export function loadSymbols(
  runId: string,
  n: number,
  balance?: { bucketOf: (key: string) => string | null; buckets: number }
): string[] {
  const prefix = loadSymbolPrefix(runId)
  if (!balance || balance.buckets <= 1) return Array.from({ length: n }, (_, i) => `${prefix}${i}`)
  const perBucket = Math.ceil(n / balance.buckets)
  const filled = new Map<string | null, number>()
  const symbols: string[] = []
  for (let i = 0; symbols.length < n; i++) {
    const symbol = `${prefix}${i}`
    const bucket = balance.bucketOf(`${LOAD_EXCHANGE}:${symbol}`)
    // After 100 candidates per symbol wanted, take what comes (a partitioner that never reaches a bucket).
    if ((filled.get(bucket) ?? 0) >= perBucket && i < n * 100) continue
    filled.set(bucket, (filled.get(bucket) ?? 0) + 1)
    symbols.push(symbol)
  }
  return symbols
}

export interface LoadBatch {
  records: OutgoingRecord[]
  byType: Partial<Record<LoadType, number>>
}

const BOOK_LEVELS = 5

export class LoadMessages {
  readonly symbols: string[]
  readonly #types: readonly LoadType[]
  readonly #topicFor: (type: LoadType) => string
  readonly #trades: TradeGenerator
  readonly #lastTs = new Map<string, number>()
  #cursor = 0
  #bookCursor = 0

  constructor(options: {
    types: readonly LoadType[]
    /** From loadSymbols(). */
    symbols: string[]
    topicFor: (type: LoadType) => string
    seed?: number
  }) {
    if (options.types.length === 0 || options.symbols.length === 0)
      throw new Error('at least one message type and one symbol are needed')
    this.#types = options.types
    this.#topicFor = options.topicFor
    this.symbols = options.symbols
    this.#trades = new TradeGenerator({
      exchange: LOAD_EXCHANGE,
      symbols: this.symbols,
      seed: options.seed ?? 1
    })
  }

  /** The next `max` messages, stamped `now`. */
  batch(max: number, now: number): LoadBatch {
    const records = new Array<OutgoingRecord>(max)
    const byType: Partial<Record<LoadType, number>> = {}
    for (let i = 0; i < max; i++) {
      const type = this.#types[this.#cursor++ % this.#types.length] as LoadType
      const message = type === 'trade' ? this.#trades.next(now).message : this.#book(type, now)
      records[i] = { topic: this.#topicFor(type), key: messageKey(message), value: JSON.stringify(message) }
      byType[type] = (byType[type] ?? 0) + 1
    }
    return { records, byType }
  }

  #book(type: 'depth' | 'quote', now: number): MarketMessage {
    const symbol = this.symbols[this.#bookCursor++ % this.symbols.length] as string
    const last = this.#lastTs.get(`${type}:${symbol}`) ?? 0
    const ts = Math.max(now, last + 1)
    this.#lastTs.set(`${type}:${symbol}`, ts)
    const book = this.#trades.book(symbol, type === 'depth' ? BOOK_LEVELS : 1)
    const base = { v: 1, exchange: LOAD_EXCHANGE, symbol, ts, recv_ts: now } as const
    if (type === 'depth')
      return { ...base, type: 'depth', bids: book.bids, asks: book.asks } satisfies DepthMessage
    const [bid = '1', bidSize = '1'] = book.bids[0] ?? []
    const [ask = '2', askSize = '1'] = book.asks[0] ?? []
    return {
      ...base,
      type: 'quote',
      bid,
      ask,
      bid_size: bidSize,
      ask_size: askSize
    } satisfies QuoteMessage
  }
}
