import { crc32 } from 'node:zlib'
import { toDecimalText } from '../decimal-text.ts'
import type { KrakenLevel } from '../mappers/kraken.ts'
import type { PriceLevel } from '../messages.ts'
import { compareDecimalKeys, decimalKey } from './book-side.ts'

/**
 * A Kraken WebSocket v2 `book` kept locally, Kraken's way (pure: no clock, no IO; node:zlib's crc32 is plain
 * computation). A snapshot replaces the book; an update's levels are applied in the order sent (a price may
 * repeat; a zero quantity deletes), then each side is truncated to the subscribed depth (Kraken sends no
 * deletes for levels pushed out of scope). After every message the CRC32 of the top 10 levels per side must
 * equal the message's `checksum`; when it does not, the book is discarded and the verdict says so: the
 * session resubscribes the book channel for a fresh snapshot. Levels keep the literal number text Kraken
 * sent, because the checksum is computed from it (trailing zeros included).
 */
export type KrakenBookVerdict = 'ok' | 'mismatch' | 'unsynced'

const CHECKSUM_LEVELS = 10

/** One level's checksum text: the decimal digits without the point, leading zeros removed. */
function checksumDigits(literal: string): string {
  // Kraken writes full precision; a literal in exponent form (seen on tiny values) is expanded first.
  const plain = /[eE]/.test(literal) ? (toDecimalText(literal) ?? literal) : literal
  return plain.replace('.', '').replace(/^0+/, '')
}

/** Kraken's book checksum: asks best (lowest) first, then bids best (highest) first, top 10 each. */
export function krakenChecksum(asks: KrakenLevel[], bids: KrakenLevel[]): number {
  let text = ''
  for (const side of [asks, bids])
    for (const level of side.slice(0, CHECKSUM_LEVELS))
      text += checksumDigits(level.price) + checksumDigits(level.qty)
  return crc32(text) >>> 0
}

function isZero(literal: string): boolean {
  return /^0*(\.0*)?$/.test(toDecimalText(literal) ?? '')
}

class Side {
  readonly #levels = new Map<string, KrakenLevel>()
  readonly #descending: boolean

  constructor(descending: boolean) {
    this.#descending = descending
  }

  set(level: KrakenLevel): void {
    const key = decimalKey(toDecimalText(level.price) ?? level.price)
    if (isZero(level.qty)) this.#levels.delete(key)
    else this.#levels.set(key, { ...level })
  }

  clear(): void {
    this.#levels.clear()
  }

  /** Best first, at most n. */
  best(n = Number.POSITIVE_INFINITY): KrakenLevel[] {
    const keys = [...this.#levels.keys()].sort(compareDecimalKeys)
    if (this.#descending) keys.reverse()
    return keys.slice(0, n).map((key) => this.#levels.get(key) as KrakenLevel)
  }

  truncate(depth: number): void {
    if (this.#levels.size <= depth) return
    const keep = new Set(this.best(depth).map((level) => decimalKey(toDecimalText(level.price) ?? '')))
    for (const key of [...this.#levels.keys()]) if (!keep.has(key)) this.#levels.delete(key)
  }
}

export class KrakenBook {
  readonly depth: number
  readonly #bids = new Side(true)
  readonly #asks = new Side(false)
  #synced = false
  /** Exchange time of the last message applied. */
  lastTs: number | null = null

  /** `depth`: the subscribed depth (10, 25, 100, 500 or 1000). */
  constructor(depth: number) {
    this.depth = depth
  }

  get synced(): boolean {
    return this.#synced
  }

  /** Forget the book (a new connection, or a resync): updates are ignored until the next snapshot. */
  reset(): void {
    this.#bids.clear()
    this.#asks.clear()
    this.#synced = false
    this.lastTs = null
  }

  /** A snapshot replaces the book; 'mismatch' when its own checksum disagrees (the book stays unsynced). */
  snapshot(message: { bids: KrakenLevel[]; asks: KrakenLevel[]; checksum: number; ts: number }) {
    this.reset()
    this.#synced = true
    return this.#apply(message)
  }

  /** An update: 'unsynced' (ignored) before a snapshot, else 'ok' or 'mismatch' (the book is discarded). */
  update(message: { bids: KrakenLevel[]; asks: KrakenLevel[]; checksum: number; ts: number }) {
    if (!this.#synced) return 'unsynced'
    return this.#apply(message)
  }

  /** The checksum of the book as it stands. */
  checksum(): number {
    return krakenChecksum(this.#asks.best(CHECKSUM_LEVELS), this.#bids.best(CHECKSUM_LEVELS))
  }

  /** Best bids (descending) and asks (ascending), at most n each, as canonical decimal text. */
  top(n: number): { bids: PriceLevel[]; asks: PriceLevel[] } {
    const canonical = (level: KrakenLevel): PriceLevel => [
      toDecimalText(level.price) as string,
      toDecimalText(level.qty) as string
    ]
    return { bids: this.#bids.best(n).map(canonical), asks: this.#asks.best(n).map(canonical) }
  }

  #apply(message: { bids: KrakenLevel[]; asks: KrakenLevel[]; checksum: number; ts: number }) {
    for (const level of message.bids) this.#bids.set(level)
    for (const level of message.asks) this.#asks.set(level)
    this.#bids.truncate(this.depth)
    this.#asks.truncate(this.depth)
    this.lastTs = message.ts
    if (this.checksum() === message.checksum) return 'ok' as const
    this.reset()
    return 'mismatch' as const
  }
}
