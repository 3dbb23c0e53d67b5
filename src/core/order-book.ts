import { BookSide } from './books/book-side.ts'
import type { PriceLevel } from './messages.ts'

/** Decimal price keys live with the book side (books/book-side.ts); re-exported for existing importers. */
export { compareDecimalKeys, decimalKey } from './books/book-side.ts'

/**
 * A local order book kept in sync from a snapshot plus diff events, Binance's way (pure, no clock, no IO):
 * buffer events until a snapshot is applied; a snapshot older than the first buffered event is refused
 * ('refetch'); buffered events already contained in the snapshot (u <= lastUpdateId) are dropped; from then
 * on an event with u <= local is ignored, one with U > local + 1 is a gap (the book is discarded and events
 * buffer again until a new snapshot), otherwise each level is set to its absolute quantity (0 deletes it)
 * and local = u. Prices are compared as decimal text, never through a float.
 */
export interface DepthUpdate {
  symbol: string
  /** Exchange event time, epoch ms. */
  eventTs: number
  /** First and last update id in this event (Binance U and u). */
  firstId: number
  finalId: number
  /** Absolute quantities; "0" (any zero) deletes the level. */
  bids: PriceLevel[]
  asks: PriceLevel[]
}

export interface BookSnapshot {
  lastUpdateId: number
  bids: PriceLevel[]
  asks: PriceLevel[]
}

export type SnapshotResult = 'applied' | 'refetch' | 'gap'
export type EventResult = 'buffered' | 'ok' | 'stale' | 'gap'

export class BinanceBookSync {
  readonly #bids = new BookSide(true)
  readonly #asks = new BookSide(false)
  readonly #maxBuffered: number
  #buffer: DepthUpdate[] = []
  /** The last applied update id; null while not synced (buffering). */
  #local: number | null = null
  /** Time of the last applied event (or null right after a snapshot with nothing applied). */
  lastEventTs: number | null = null

  constructor(maxBuffered = 10_000) {
    this.#maxBuffered = maxBuffered
  }

  get synced(): boolean {
    return this.#local !== null
  }

  get lastUpdateId(): number | null {
    return this.#local
  }

  get buffered(): number {
    return this.#buffer.length
  }

  /** Forget everything (a new connection): buffer again until the next snapshot. */
  reset(): void {
    this.#bids.clear()
    this.#asks.clear()
    this.#buffer = []
    this.#local = null
    this.lastEventTs = null
  }

  /** A diff event: buffered while not synced, otherwise applied ('ok'), ignored ('stale') or a 'gap'. */
  event(update: DepthUpdate): EventResult {
    if (this.#local === null) {
      this.#buffer.push(update)
      // Dropping the oldest only makes the next snapshot need to be newer: never wrong.
      if (this.#buffer.length > this.#maxBuffered) this.#buffer.shift()
      return 'buffered'
    }
    return this.#apply(update)
  }

  /** A REST snapshot: 'refetch' when older than the first buffered event; 'gap' when the buffer has a hole. */
  snapshot(snapshot: BookSnapshot): SnapshotResult {
    const first = this.#buffer[0]
    if (first && snapshot.lastUpdateId < first.firstId) return 'refetch'
    this.#bids.clear()
    this.#asks.clear()
    for (const level of snapshot.bids) this.#bids.set(level)
    for (const level of snapshot.asks) this.#asks.set(level)
    this.#local = snapshot.lastUpdateId
    this.lastEventTs = null
    const buffered = this.#buffer
    this.#buffer = []
    for (const [i, update] of buffered.entries()) {
      if (this.#apply(update) === 'gap') {
        this.#buffer.push(...buffered.slice(i + 1))
        return 'gap'
      }
    }
    return 'applied'
  }

  /** Best bids (descending) and asks (ascending), at most n each, as [price, quantity] text. */
  top(n: number): { bids: PriceLevel[]; asks: PriceLevel[] } {
    return { bids: this.#bids.top(n), asks: this.#asks.top(n) }
  }

  #apply(update: DepthUpdate): 'ok' | 'stale' | 'gap' {
    const local = this.#local as number
    if (update.finalId <= local) return 'stale'
    if (update.firstId > local + 1) {
      this.reset()
      this.#buffer.push(update) // the resync starts from here: the next snapshot must reach this event
      return 'gap'
    }
    for (const level of update.bids) this.#bids.set(level)
    for (const level of update.asks) this.#asks.set(level)
    this.#local = update.finalId
    this.lastEventTs = update.eventTs
    return 'ok'
  }
}
