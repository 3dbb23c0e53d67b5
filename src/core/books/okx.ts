import { crc32 } from 'node:zlib'
import type { PriceLevel } from '../messages.ts'
import { compareDecimalKeys, decimalKey, isZeroDecimal } from './book-side.ts'
import { toDecimalText } from '../decimal-text.ts'

/**
 * An OKX `books` order book kept locally (pure: no clock, no IO; CRC32 is computation). The rules, with their
 * sources, are in docs/exchanges/okx.md:
 * - a WS snapshot (`prevSeqId: -1`) replaces the book; an update applies when its `prevSeqId` equals the last
 *   applied `seqId`. An empty update with `prevSeqId == seqId` is the ~60 s keep-alive; `seqId < prevSeqId`
 *   (after maintenance) is a reset and is applied like any other. Any other `prevSeqId` is a gap: resync.
 * - without a WS snapshot, updates are buffered until a REST snapshot (`GET /api/v5/market/books`, its own
 *   `seqId` S) seeds the book: updates with `seqId <= S` are dropped, the first one applied must have
 *   `prevSeqId <= S < seqId` (absolute sizes make re-applying what S already holds harmless), then the rule
 *   above. A snapshot older than the first buffered update (`prevSeqId > S`) is refused: fetch again.
 * - a non-zero `checksum` is checked against the book after applying (legacy CRC32 rule, okxChecksum);
 *   production sends 0 since 2026-06-23, and 0 is not checked.
 * Levels keep the price and size text as sent; a size of zero deletes the level; each side keeps its best 400.
 */
export interface OkxLevel {
  price: string
  size: string
}

export interface OkxBookFrame {
  action: 'snapshot' | 'update'
  bids: OkxLevel[]
  asks: OkxLevel[]
  /** Book time, epoch ms. */
  ts: number
  /** Signed CRC32 of the book after this frame; 0 = not sent. */
  checksum: number
  prevSeqId: number
  seqId: number
}

export interface OkxRestBook {
  bids: OkxLevel[]
  asks: OkxLevel[]
  ts: number
  seqId: number
}

export type OkxBookVerdict =
  /** The book changed (publish it). */
  | { kind: 'applied' }
  /** Nothing to do: a keep-alive, an update already in the seeding snapshot, or a REST book not needed now. */
  | { kind: 'unchanged' }
  /** Not synced: held until a REST snapshot seeds the book. */
  | { kind: 'buffered' }
  /** Not synced and not buffering (e.g. waiting for a WS snapshot): dropped. */
  | { kind: 'unsynced' }
  /** The REST snapshot is older than the buffered updates: fetch a newer one (the buffer is kept). */
  | { kind: 'refetch' }
  /**
   * A gap or a checksum mismatch: the book was discarded and updates buffer from the offending one on (for a
   * REST seed); resync it — or reset() and resubscribe for a WS snapshot.
   */
  | { kind: 'resync'; reason: string }

export const OKX_BOOK_DEPTH = 400
const CHECKSUM_LEVELS = 25

class BookSide {
  readonly #levels = new Map<string, OkxLevel>()
  readonly #descending: boolean

  constructor(descending: boolean) {
    this.#descending = descending
  }

  set(level: OkxLevel): void {
    const key = decimalKey(level.price)
    if (isZeroDecimal(level.size)) this.#levels.delete(key)
    else this.#levels.set(key, level)
  }

  clear(): void {
    this.#levels.clear()
  }

  get size(): number {
    return this.#levels.size
  }

  /** The best n levels, best first, as sent. */
  top(n: number): OkxLevel[] {
    const keys = [...this.#levels.keys()].sort(compareDecimalKeys)
    if (this.#descending) keys.reverse()
    return keys.slice(0, n).map((key) => this.#levels.get(key) as OkxLevel)
  }

  /** OKX keeps 400 levels a side and sends no deletes for levels pushed out of them (docs/exchanges/okx.md). */
  truncate(n: number): void {
    if (this.#levels.size <= n) return
    const keep = new Set(this.top(n).map((level) => decimalKey(level.price)))
    for (const key of [...this.#levels.keys()]) if (!keep.has(key)) this.#levels.delete(key)
  }
}

/**
 * The legacy checksum string: best 25 bids and asks interleaved `bid1px:bid1sz:ask1px:ask1sz:…` (then the
 * longer side alone), price and size text as sent.
 */
export function okxChecksumString(bids: OkxLevel[], asks: OkxLevel[]): string {
  const parts: string[] = []
  for (let i = 0; i < CHECKSUM_LEVELS; i++) {
    const bid = bids[i]
    const ask = asks[i]
    if (bid) parts.push(bid.price, bid.size)
    if (ask) parts.push(ask.price, ask.size)
  }
  return parts.join(':')
}

/** CRC32 of the checksum string as a signed 32-bit integer, as OKX sends it. */
export function okxChecksum(bids: OkxLevel[], asks: OkxLevel[]): number {
  return crc32(okxChecksumString(bids, asks)) | 0
}

export class OkxBookSync {
  readonly #bids = new BookSide(true)
  readonly #asks = new BookSide(false)
  readonly #maxBuffered: number
  /** The last applied seqId; null while not synced. */
  #seqId: number | null = null
  /** Seeded from REST: the next update may start before the snapshot (prevSeqId <= S < seqId). */
  #aligning = false
  #buffering = false
  #buffer: OkxBookFrame[] = []
  /** Book time of the last applied frame. */
  lastTs: number | null = null

  constructor(maxBuffered = 10_000) {
    this.#maxBuffered = maxBuffered
  }

  get synced(): boolean {
    return this.#seqId !== null
  }

  get seqId(): number | null {
    return this.#seqId
  }

  /** True while updates are held for a REST snapshot. */
  get buffering(): boolean {
    return this.#buffering
  }

  get buffered(): number {
    return this.#buffer.length
  }

  /** Forget the book; updates are dropped until a WS snapshot, or buffered after bufferUpdates(). */
  reset(): void {
    this.#bids.clear()
    this.#asks.clear()
    this.#seqId = null
    this.#aligning = false
    this.#buffering = false
    this.#buffer = []
    this.lastTs = null
  }

  /** Not synced: hold updates from now on, for a REST snapshot (seed). */
  bufferUpdates(): void {
    if (this.#seqId === null) this.#buffering = true
  }

  /** A WS snapshot: replaces the book whatever came before (also while buffering for REST). */
  snapshot(frame: OkxBookFrame): OkxBookVerdict {
    this.reset()
    for (const level of frame.bids) this.#bids.set(level)
    for (const level of frame.asks) this.#asks.set(level)
    this.#seqId = frame.seqId
    this.lastTs = frame.ts
    return this.#verify(frame) ?? { kind: 'applied' }
  }

  /** A WS update: applied, a keep-alive, buffered, dropped, or a gap / checksum mismatch (resync). */
  update(frame: OkxBookFrame): OkxBookVerdict {
    if (this.#seqId === null) {
      if (!this.#buffering) return { kind: 'unsynced' }
      if (frame.seqId < frame.prevSeqId)
        this.#buffer = [] // a reset: what came before cannot align with a new snapshot
      else this.#buffer.push(frame)
      if (this.#buffer.length > this.#maxBuffered) this.#buffer.shift() // the next snapshot must just be newer
      return { kind: 'buffered' }
    }
    return this.#apply(frame)
  }

  /** A REST snapshot for a buffering book (see the class comment). */
  seed(book: OkxRestBook): OkxBookVerdict {
    if (this.#seqId !== null || !this.#buffering) return { kind: 'unchanged' } // a WS snapshot came first
    const pending = this.#buffer.filter((frame) => frame.seqId > book.seqId)
    const first = pending[0]
    if (first && first.prevSeqId > book.seqId) {
      this.#buffer = pending // what the snapshot already holds is not needed any more
      return { kind: 'refetch' }
    }
    this.reset()
    for (const level of book.bids) this.#bids.set(level)
    for (const level of book.asks) this.#asks.set(level)
    this.#seqId = book.seqId
    this.#aligning = true
    this.lastTs = book.ts
    for (const [i, frame] of pending.entries()) {
      const verdict = this.#apply(frame)
      if (verdict.kind === 'resync') {
        this.#buffer.push(...pending.slice(i + 1)) // behind the frame #apply kept: the next snapshot needs them
        return verdict
      }
    }
    return { kind: 'applied' }
  }

  /** Best bids (descending) and asks (ascending), at most n each, as canonical [price, size] text. */
  top(n: number): { bids: PriceLevel[]; asks: PriceLevel[] } {
    const canonical = (level: OkxLevel): PriceLevel => [
      toDecimalText(level.price) as string,
      toDecimalText(level.size) as string
    ]
    return { bids: this.#bids.top(n).map(canonical), asks: this.#asks.top(n).map(canonical) }
  }

  /** The checksum of the current book (what a non-zero `checksum` is compared with). */
  checksum(): number {
    return okxChecksum(this.#bids.top(CHECKSUM_LEVELS), this.#asks.top(CHECKSUM_LEVELS))
  }

  #apply(frame: OkxBookFrame): OkxBookVerdict {
    const local = this.#seqId as number
    const empty = frame.bids.length === 0 && frame.asks.length === 0
    if (this.#aligning) {
      // Seeded from REST at S = local: updates S already holds are dropped; the first newer one may start before S.
      if (frame.seqId <= local && frame.prevSeqId <= local) return { kind: 'unchanged' }
      if (frame.prevSeqId > local)
        return this.#resync(frame, `sequence gap: prevSeqId ${frame.prevSeqId} after REST seqId ${local}`)
      this.#aligning = false
    } else if (frame.prevSeqId !== local) {
      return this.#resync(frame, `sequence gap: prevSeqId ${frame.prevSeqId}, last seqId ${local}`)
    } else if (empty && frame.seqId === frame.prevSeqId) {
      return { kind: 'unchanged' } // keep-alive: nothing changed for ~60 s
    }
    for (const level of frame.bids) this.#bids.set(level)
    for (const level of frame.asks) this.#asks.set(level)
    this.#bids.truncate(OKX_BOOK_DEPTH)
    this.#asks.truncate(OKX_BOOK_DEPTH)
    this.#seqId = frame.seqId // also when seqId < prevSeqId: the sequence was reset (maintenance)
    this.lastTs = frame.ts
    return this.#verify(frame) ?? { kind: 'applied' }
  }

  /**
   * The book is discarded, and updates buffer from `frame` on (kept: a REST snapshot taken now may sit inside
   * it). A resync by WS snapshot instead calls reset() first.
   */
  #resync(frame: OkxBookFrame | null, reason: string): OkxBookVerdict {
    this.reset()
    this.#buffering = true
    if (frame) this.#buffer.push(frame)
    return { kind: 'resync', reason }
  }

  #verify(frame: OkxBookFrame): OkxBookVerdict | null {
    if (frame.checksum === 0) return null // production sends 0: nothing to compare with
    const actual = this.checksum()
    if (actual === frame.checksum) return null
    const reason = `checksum mismatch: book ${actual}, OKX ${frame.checksum}`
    return this.#resync(frame.action === 'update' ? frame : null, reason)
  }
}
