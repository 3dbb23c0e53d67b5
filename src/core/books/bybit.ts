import type { PriceLevel } from '../messages.ts'
import type { BybitBookMessage } from '../mappers/bybit.ts'
import { BookSide } from './book-side.ts'

/**
 * A Bybit v5 `orderbook.<depth>` book kept locally (pure: no clock, no IO). The rules, with their sources, are
 * in docs/exchanges/bybit.md:
 * - a `snapshot` replaces the whole book, whatever its `u` — the first message of a subscription, a re-sent
 *   snapshot after a problem on Bybit's side, and `u = 1` after a service restart alike;
 * - a `delta` applies only when its `u` is the previous message's `u` + 1; any other `u` is a gap: the book
 *   is discarded and stays unsynced until the next snapshot (the session resubscribes to get one);
 * - a delta's sizes are absolute: a new price inserts, a known price updates, size "0" deletes;
 * - each side keeps its best `depth` levels (a level pushed out of the subscribed depth cannot be kept
 *   up to date, so it is dropped rather than trusted).
 * Levels keep the price and size text as sent; prices are keyed and ordered as decimal text, never floats.
 */
export type BybitBookVerdict =
  /** A snapshot replaced the book (publish at once). */
  | 'snapshot'
  /** A delta was applied. */
  | 'applied'
  /** A delta whose `u` does not follow: the book is discarded; resync. */
  | 'gap'
  /** A delta while no snapshot is held: ignored (the caller decides whether that needs a resync). */
  | 'unsynced'

export class BybitBook {
  readonly #depth: number
  readonly #bids = new BookSide(true)
  readonly #asks = new BookSide(false)
  /** `u` of the last message applied; null while unsynced. */
  #updateId: number | null = null
  /** Bybit's `ts` of the last message applied. */
  lastTs: number | null = null

  constructor(depth = 50) {
    this.#depth = depth
  }

  get synced(): boolean {
    return this.#updateId !== null
  }

  get updateId(): number | null {
    return this.#updateId
  }

  /** Forget the book (a new connection, or a resync): unsynced until the next snapshot. */
  reset(): void {
    this.#bids.clear()
    this.#asks.clear()
    this.#updateId = null
    this.lastTs = null
  }

  apply(message: BybitBookMessage): BybitBookVerdict {
    if (message.type === 'snapshot') {
      this.#bids.clear()
      this.#asks.clear()
      this.#set(message)
      return 'snapshot'
    }
    if (this.#updateId === null) return 'unsynced'
    if (message.updateId !== this.#updateId + 1) {
      this.reset()
      return 'gap'
    }
    this.#set(message)
    return 'applied'
  }

  /** Best bids (descending) and asks (ascending), at most n each, as [price, size] text. */
  top(n: number): { bids: PriceLevel[]; asks: PriceLevel[] } {
    return { bids: this.#bids.top(n), asks: this.#asks.top(n) }
  }

  #set(message: BybitBookMessage): void {
    for (const level of message.bids) this.#bids.set(level)
    for (const level of message.asks) this.#asks.set(level)
    this.#bids.truncate(this.#depth)
    this.#asks.truncate(this.#depth)
    this.#updateId = message.updateId
    this.lastTs = message.ts
  }
}
