import type { DepthMessage, PriceLevel } from './messages.ts'

/**
 * Exchanges that send one side of the book at a time (Wallex) become whole snapshots: the latest bids and
 * the latest asks of a symbol, emitted at most once per `intervalMs` (default 7 s, as the seed does) and only
 * once both sides are known. Pure: the caller passes the clock.
 */
export class DepthThrottle {
  readonly #intervalMs: number
  readonly #books = new Map<string, { bids?: PriceLevel[]; asks?: PriceLevel[]; lastEmit: number }>()

  constructor(intervalMs = 7_000) {
    this.#intervalMs = intervalMs
  }

  update(
    exchange: string,
    symbol: string,
    side: 'bids' | 'asks',
    levels: PriceLevel[],
    now: number
  ): DepthMessage | null {
    const key = `${exchange}:${symbol}`
    const book = this.#books.get(key) ?? { lastEmit: Number.NEGATIVE_INFINITY }
    book[side] = levels
    this.#books.set(key, book)
    if (!book.bids || !book.asks || now - book.lastEmit < this.#intervalMs) return null
    book.lastEmit = now
    return { v: 1, type: 'depth', exchange, symbol, ts: now, bids: book.bids, asks: book.asks, recv_ts: now }
  }
}
