import type { PriceLevel } from '../messages.ts'
import type { CoinbaseBookEvent } from '../mappers/coinbase.ts'
import { BookSide } from './book-side.ts'

/**
 * Coinbase Advanced Trade book keeping (pure, no clock, no IO). `level2` sends a `snapshot` event on every
 * subscribe, then `update` events with absolute quantities. Coinbase gives the book no checksum and no
 * per-product sequence; what it gives is the envelope's `sequence_num` (per connection, +1 per message) and
 * the heartbeat's `heartbeat_counter` (+1 per heartbeat). `CoinbaseStreamCheck` turns those into a verdict:
 * a jump means a message was lost, and the session resyncs the books by resubscribing level2 (a fresh
 * snapshot replaces each book). Facts, sources and what is inferred: docs/exchanges/coinbase.md.
 */

/** ok, or the books must be resynced (a message was lost), with the reason to log. */
export type StreamVerdict = { ok: true } | { ok: false; reason: string }

const OK: StreamVerdict = { ok: true }

export class CoinbaseStreamCheck {
  #lastSequence: number | null = null
  #lastHeartbeat: number | null = null
  /** Messages whose sequence_num was not above the last one seen (processed; counted, not a gap). */
  unordered = 0

  /** A new connection: sequence numbers and heartbeat counters start again. */
  reset(): void {
    this.#lastSequence = null
    this.#lastHeartbeat = null
  }

  /** Every message's `sequence_num`: exactly one above the last, or messages were lost. */
  sequence(n: number): StreamVerdict {
    const last = this.#lastSequence
    if (last !== null && n <= last) {
      this.unordered++
      return OK
    }
    this.#lastSequence = n
    if (last === null || n === last + 1) return OK
    return { ok: false, reason: `sequence_num jumped from ${last} to ${n}: ${n - last - 1} message(s) lost` }
  }

  /**
   * Every heartbeat's `heartbeat_counter`: one above the last, or heartbeats were lost. A repeated counter
   * is not a loss (subscribing heartbeats per product yields one heartbeat per product with the same counter).
   */
  heartbeat(counter: number): StreamVerdict {
    const last = this.#lastHeartbeat
    if (last !== null && counter <= last) return OK
    this.#lastHeartbeat = counter
    if (last === null || counter === last + 1) return OK
    return {
      ok: false,
      reason: `heartbeat_counter jumped from ${last} to ${counter}: ${counter - last - 1} heartbeat(s) lost`
    }
  }
}

/** One product's book: synced by a snapshot event, kept by update events, forgotten on reset. */
export class CoinbaseBook {
  readonly #bids = new BookSide(true)
  readonly #asks = new BookSide(false)
  #synced = false
  /** Exchange time of the book: the latest event_time applied, or the snapshot frame's timestamp. */
  ts: number | null = null

  get synced(): boolean {
    return this.#synced
  }

  /** Forget the book (a new connection, or a lost message): updates are ignored until the next snapshot. */
  reset(): void {
    this.#bids.clear()
    this.#asks.clear()
    this.#synced = false
    this.ts = null
  }

  /**
   * A `snapshot` or `update` event. A snapshot replaces the book; an update applies absolute quantities
   * ('0' deletes), or is ignored ('unsynced') while no snapshot has arrived since the last reset.
   */
  apply(event: CoinbaseBookEvent, frameTs: number): 'synced' | 'ok' | 'unsynced' {
    if (event.kind === 'snapshot') {
      this.#bids.clear()
      this.#asks.clear()
      this.#synced = true
    } else if (!this.#synced) return 'unsynced'
    for (const level of event.bids) this.#bids.set(level)
    for (const level of event.asks) this.#asks.set(level)
    this.ts = event.eventTs ?? frameTs
    return event.kind === 'snapshot' ? 'synced' : 'ok'
  }

  /** Best bids (descending) and asks (ascending), at most n each, as [price, quantity] text. */
  top(n: number): { bids: PriceLevel[]; asks: PriceLevel[] } {
    return { bids: this.#bids.top(n), asks: this.#asks.top(n) }
  }
}
