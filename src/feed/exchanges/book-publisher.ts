import type { PriceLevel } from '../../core/messages.ts'
import type { FeedSink } from './frames.ts'

/** Levels per side in a published depth message. */
export const PUBLISHED_LEVELS = 20

/** What the publisher reads from a local order book. */
export interface PublishableBook {
  readonly synced: boolean
  top(levels: number): { bids: PriceLevel[]; asks: PriceLevel[] }
}

export interface BookPublisherOptions<B extends PublishableBook> {
  exchange: string
  /** At most one depth message per symbol per this many ms (`now` publishes at once regardless). */
  intervalMs: number
  sink: Pick<FeedSink, 'message'>
  /** The local book of a symbol (undefined: none). */
  book(symbol: string): B | undefined
  /** Exchange time of the book's latest change (null or undefined: none yet, the receive time is used). */
  exchangeTs(book: B): number | null | undefined
  /** Levels per side; PUBLISHED_LEVELS unless given. */
  levels?: number
}

/**
 * Publishes local order books as canonical `depth` messages (their top 20 per side), throttled per symbol:
 * `maybe` publishes at once if the interval has passed since the last message, else once at its end (a
 * trailing emit, so the latest book always gets out); `now` publishes at once (right after a sync). A book
 * that is not synced, or a connection whose signal has aborted, publishes nothing. Pending trailing emits
 * end with the connection: when the signal they were scheduled under aborts, everything is reset.
 */
export class BookPublisher<B extends PublishableBook> {
  readonly #options: BookPublisherOptions<B>
  readonly #levels: number
  readonly #symbols = new Map<string, { lastEmit: number; trailing: NodeJS.Timeout | null }>()
  /** The last connection signal seen; its abort resets the publisher. */
  #watched: AbortSignal | null = null

  constructor(options: BookPublisherOptions<B>) {
    this.#options = options
    this.#levels = options.levels ?? PUBLISHED_LEVELS
  }

  /** Publishes `symbol`'s book at once (e.g. right after a sync); a pending trailing emit is dropped. */
  now(symbol: string, now: number, signal: AbortSignal): void {
    this.#watch(signal)
    const state = this.#of(symbol)
    this.#clear(state)
    const book = this.#options.book(symbol)
    if (!book?.synced || signal.aborted) return
    state.lastEmit = now
    const { bids, asks } = book.top(this.#levels)
    const ts = this.#options.exchangeTs(book) ?? now
    const exchange = this.#options.exchange
    this.#options.sink.message({ v: 1, type: 'depth', exchange, symbol, ts, bids, asks, recv_ts: now })
  }

  /** The book changed: publish at once if the interval has passed, else once at its end. */
  maybe(symbol: string, now: number, signal: AbortSignal): void {
    this.#watch(signal)
    const state = this.#of(symbol)
    const wait = state.lastEmit + this.#options.intervalMs - now
    if (wait <= 0) return this.now(symbol, now, signal)
    state.trailing ??= setTimeout(() => {
      state.trailing = null
      this.now(symbol, Date.now(), signal)
    }, wait).unref()
  }

  /** Drops `symbol`'s pending trailing emit (its book is being resynced); the interval still counts. */
  cancel(symbol: string): void {
    const state = this.#symbols.get(symbol)
    if (state) this.#clear(state)
  }

  /** A new connection, or the old one ended: pending emits dropped, the next book goes out at once. */
  reset(): void {
    for (const state of this.#symbols.values()) this.#clear(state)
    this.#symbols.clear()
  }

  #of(symbol: string) {
    let state = this.#symbols.get(symbol)
    if (!state) {
      state = { lastEmit: Number.NEGATIVE_INFINITY, trailing: null }
      this.#symbols.set(symbol, state)
    }
    return state
  }

  #clear(state: { trailing: NodeJS.Timeout | null }): void {
    if (state.trailing) clearTimeout(state.trailing)
    state.trailing = null
  }

  #watch(signal: AbortSignal): void {
    if (signal === this.#watched) return
    this.#watched = signal
    signal.addEventListener('abort', () => this.reset(), { once: true })
  }
}
