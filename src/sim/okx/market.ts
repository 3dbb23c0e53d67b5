import type { PriceLevel } from '../../core/messages.ts'
import * as kit from '../kit/book.ts'
import { SeededMarket } from '../kit/market.ts'
import { ticksToDecimal } from '../market.ts'
import {
  ZERO,
  checksumOf,
  levelsOf,
  priceText,
  restSnapshot,
  type BooksData,
  type Level,
  type SymbolBook
} from './levels.ts'
import type { OkxMarketOptions, OkxSentTrade } from './types.ts'
import { fillOrder } from './fills.ts'

/**
 * The market behind the local OKX server (sim/okx/server.ts): per instrument a real book with OKX's sequence
 * ids and a sequence of fills. Written from docs/exchanges/okx.md, not from the connector. No sockets: the
 * server decides who gets what.
 */
export class OkxMarket extends SeededMarket {
  readonly #books: Map<string, SymbolBook>
  readonly #changes: number
  readonly #keepAliveMs: number
  readonly #maxFills: number
  readonly #checksum: boolean
  keepAlives = 0

  constructor(options: OkxMarketOptions) {
    super('okx', options)
    this.#changes = options.changesPerUpdate ?? 3
    this.#keepAliveMs = options.keepAliveMs ?? 60_000
    this.#maxFills = Math.max(1, options.maxFillsPerOrder ?? 3)
    this.#checksum = options.checksum === 'crc32'
    const now = Date.now()
    this.#books = kit.bookPerSymbol(options.symbols, (spec, i): SymbolBook => {
      const seqId = 10_000_000 + Math.floor(this.random() * 1_000_000)
      const book: SymbolBook = {
        symbol: spec.symbol,
        priceScale: spec.priceScale,
        amountScale: Math.min(spec.amountScale, 8),
        mid: spec.priceTicks,
        seqId,
        lastMessageSeqId: seqId,
        lastChangeAt: now,
        bids: new Map(),
        asks: new Map(),
        nextFillId: 400_000_000n + BigInt(i) * 10_000_000n,
        fills: [],
        rest: { seqId, ts: now, bids: [], asks: [] },
        gap: false,
        corrupt: false,
        reset: false
      }
      kit.seedBook(book, options.bookLevels ?? 100, (side) => ({
        size: this.#newSize(book),
        orders: side === 'bids' ? 1 : 2
      }))
      book.rest = restSnapshot(book, now)
      return book
    })
  }

  has(instId: string): boolean {
    return this.#books.has(instId)
  }

  named(instId: string): SymbolBook {
    return kit.named(this.#books, instId, 'instrument')
  }

  /** The legacy checksum of a book (0 unless it is on). */
  checksum(book: SymbolBook): number {
    return checksumOf(book, this.#checksum)
  }

  /** The book's best `levels` per side as [price, size] text, and the last pushed seqId. */
  book(instId: string, levels = 20): { seqId: number; bids: PriceLevel[]; asks: PriceLevel[] } {
    const book = this.named(instId)
    const { bids, asks } = levelsOf(book, levels)
    const pair = (level: Level): PriceLevel => [level[0], level[1]]
    return { seqId: book.lastMessageSeqId, bids: bids.map(pair), asks: asks.map(pair) }
  }

  injectGap(instId: string): void {
    this.named(instId).gap = true
  }

  corruptNextUpdate(instId: string): void {
    this.named(instId).corrupt = true
  }

  resetSequence(instId: string): void {
    this.named(instId).reset = true
  }

  /** One taker order: 1..maxFills fills at the generator's price, consecutive ids (null: unknown symbol). */
  trade(now: number): { book: SymbolBook; sent: OkxSentTrade } | null {
    const { message } = this.generator.next(now)
    const book = this.#books.get(message.symbol)
    if (!book) return null
    book.mid = kit.priceTicks(message.price, book.priceScale)
    const count = 1 + Math.floor(this.random() * this.#maxFills)
    return { book, sent: fillOrder(book, message.side, count, now, () => this.#lots(book)) }
  }

  /**
   * One `books` update per instrument with changes (crossed levels go, a few levels near the mid change, one
   * seqId each), or a keep-alive after keepAliveMs without change; while paused only keep-alives. REST is
   * refreshed half-way through the changes, so a REST book usually sits inside the next push
   * (prevSeqId < S < seqId). An injected gap is applied and counted but not returned.
   */
  tick(now: number, paused: boolean): { instId: string; data: BooksData }[] {
    const updates: { instId: string; data: BooksData }[] = []
    for (const book of this.#books.values()) {
      const data = paused ? this.#keepAlive(book, now, true) : this.#changeBook(book, now)
      if (data) updates.push({ instId: book.symbol, data })
    }
    return updates
  }

  #lots(book: SymbolBook): bigint {
    return kit.randomLots(this.random, book.amountScale)
  }

  #newSize(book: SymbolBook): string {
    return ticksToDecimal(this.#lots(book), book.amountScale)
  }

  #setLevel(book: SymbolBook, side: 'bids' | 'asks', price: bigint, size: string, event: Map<bigint, Level>) {
    book.seqId++
    const zero = /^0*\.?0*$/.test(size)
    const orders = 1 + Math.floor(this.random() * 5)
    if (zero) book[side].delete(price)
    else book[side].set(price, { size, orders })
    event.set(price, [priceText(price, book.priceScale), size, '0', zero ? '0' : String(orders)])
  }

  /** Nothing changed for keepAliveMs: an empty update whose prevSeqId equals its seqId. */
  #keepAlive(book: SymbolBook, now: number, paused: boolean): BooksData | null {
    if (paused) book.rest = restSnapshot(book, now) // REST catches up with the last push
    if (now - book.lastChangeAt < this.#keepAliveMs) return null
    book.lastChangeAt = now
    this.keepAlives++
    const seqId = book.lastMessageSeqId
    return { asks: [], bids: [], ts: String(now), checksum: this.checksum(book), prevSeqId: seqId, seqId }
  }

  #changeBook(book: SymbolBook, now: number): BooksData | null {
    if (book.reset) {
      book.reset = false
      book.seqId = 3 + Math.floor(this.random() * 10) // a fresh sequence, below the last one
    }
    const changed = { bids: new Map<bigint, Level>(), asks: new Map<bigint, Level>() }
    const startSeq = book.seqId
    kit.removeCrossed(book, (side, price) => this.#setLevel(book, side, price, ZERO, changed[side]))
    book.rest = restSnapshot(book, now)
    for (let i = 0; i < this.#changes; i++) {
      if (i === Math.floor(this.#changes / 2)) book.rest = restSnapshot(book, now)
      const level = kit.nearMid(this.random, book.mid, 40)
      if (!level) continue
      const size = this.random() < 0.25 ? ZERO : this.#newSize(book)
      this.#setLevel(book, level.side, level.price, size, changed[level.side])
    }
    if (book.seqId === startSeq) return this.#keepAlive(book, now, false)
    book.lastChangeAt = now
    const prevSeqId = book.lastMessageSeqId
    book.lastMessageSeqId = book.seqId
    if (book.gap) {
      book.gap = false // applied and counted in the sequence, never sent
      return null
    }
    if (book.corrupt) {
      book.corrupt = false // a wrong size for the best bid; the checksum (of the true book) stays right
      const best = kit.sortedPrices(book.bids, true)[0]
      const level = best === undefined ? undefined : book.bids.get(best)
      if (best !== undefined && level) {
        const wrong = ticksToDecimal(BigInt(level.size.replace('.', '')) + 1n, book.amountScale)
        changed.bids.set(best, [priceText(best, book.priceScale), wrong, '0', String(level.orders)])
      }
    }
    return {
      asks: [...changed.asks.values()],
      bids: [...changed.bids.values()],
      ts: String(now),
      checksum: this.checksum(book),
      prevSeqId,
      seqId: book.seqId
    }
  }
}
