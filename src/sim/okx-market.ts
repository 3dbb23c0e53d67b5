import { crc32 } from 'node:zlib'
import type { PriceLevel, TradeSide } from '../core/messages.ts'
import { priceTicks, seedBook, sortedPrices, trimmedDecimal } from './kit/book.ts'
import { TradeGenerator, seededRandom, specFor, ticksToDecimal } from './market.ts'

/**
 * The market behind the local OKX server (sim/okx-server.ts): per instrument a real book with OKX's sequence
 * ids and a sequence of fills, and the bodies OKX sends about them — `trades` pushes (one per taker order at
 * one price: id = its last fill, `count` fills), `books` snapshots and updates (seqId/prevSeqId, keep-alives,
 * legacy checksum or 0), REST books and history-trades. Written from docs/exchanges/okx.md, not from the
 * connector. No sockets: the server decides who gets what.
 */
export interface OkxMarketOptions {
  symbols: string[]
  seed: number
  changesPerUpdate?: number
  bookLevels?: number
  checksum?: 'zero' | 'crc32'
  keepAliveMs?: number
  maxFillsPerOrder?: number
}

export interface OkxFill {
  id: string
  quantity: string
}

/** One taker order at one price: what `trades` pushes (id = last fill, count fills), and its fills. */
export interface OkxSentTrade {
  /** The last connection it was pushed to; null when no one was subscribed (e.g. during disconnectFor). */
  connection: number | null
  symbol: string
  id: string
  firstId: string
  count: number
  price: string
  quantity: string
  side: TradeSide
  ts: number
  fills: OkxFill[]
}

/** `[price, size, "0", orderCount]` */
type Level = [string, string, string, string]

interface Fill {
  id: bigint
  price: string
  size: string
  side: TradeSide
  ts: number
}

interface SymbolBook {
  symbol: string
  priceScale: number
  amountScale: number
  mid: bigint
  /** One seqId per level change; lastMessageSeqId is the next message's prevSeqId. */
  seqId: number
  lastMessageSeqId: number
  lastChangeAt: number
  bids: Map<bigint, { size: string; orders: number }>
  asks: Map<bigint, { size: string; orders: number }>
  nextFillId: bigint
  fills: Fill[]
  /** What REST answers: the book half-way through the last push (REST refreshes between pushes). */
  rest: { seqId: number; ts: number; bids: Level[]; asks: Level[] }
  gap: boolean
  corrupt: boolean
  reset: boolean
}

/** Integer ticks to OKX's price text: trailing zeros trimmed ("8477", "8476.98"). */
const priceText = trimmedDecimal

const ZERO = '0'

export class OkxMarket {
  readonly #books = new Map<string, SymbolBook>()
  readonly #random: () => number
  readonly #generator: TradeGenerator
  readonly #changes: number
  readonly #keepAliveMs: number
  readonly #maxFills: number
  readonly #checksum: boolean
  keepAlives = 0

  constructor(options: OkxMarketOptions) {
    this.#random = seededRandom(options.seed)
    this.#generator = new TradeGenerator({ exchange: 'okx', symbols: options.symbols, seed: options.seed })
    this.#changes = options.changesPerUpdate ?? 3
    this.#keepAliveMs = options.keepAliveMs ?? 60_000
    this.#maxFills = Math.max(1, options.maxFillsPerOrder ?? 3)
    this.#checksum = options.checksum === 'crc32'
    const now = Date.now()
    for (const [i, symbol] of options.symbols.entries()) {
      const spec = specFor(symbol, i)
      const seqId = 10_000_000 + Math.floor(this.#random() * 1_000_000)
      const book: SymbolBook = {
        symbol,
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
      seedBook(book, options.bookLevels ?? 100, (side) => ({
        size: this.#newSize(book),
        orders: side === 'bids' ? 1 : 2
      }))
      book.rest = this.#restSnapshot(book, now)
      this.#books.set(symbol, book)
    }
  }

  has(instId: string): boolean {
    return this.#books.has(instId)
  }

  /** The book's best `levels` per side as [price, size] text, and the last pushed seqId. */
  book(instId: string, levels = 20): { seqId: number; bids: PriceLevel[]; asks: PriceLevel[] } {
    const book = this.#named(instId)
    const { bids, asks } = this.#levels(book, levels)
    const pair = (level: Level): PriceLevel => [level[0], level[1]]
    return { seqId: book.lastMessageSeqId, bids: bids.map(pair), asks: asks.map(pair) }
  }

  injectGap(instId: string): void {
    this.#named(instId).gap = true
  }

  corruptNextUpdate(instId: string): void {
    this.#named(instId).corrupt = true
  }

  resetSequence(instId: string): void {
    this.#named(instId).reset = true
  }

  /** One taker order: 1..maxFills fills at the generator's price, consecutive ids; the `trades` push body. */
  trade(now: number): { instId: string; push: unknown; sent: OkxSentTrade } | null {
    const { message } = this.#generator.next(now)
    const book = this.#books.get(message.symbol)
    if (!book) return null
    book.mid = priceTicks(message.price, book.priceScale)
    const price = priceText(book.mid, book.priceScale)
    const count = 1 + Math.floor(this.#random() * this.#maxFills)
    const fills: Fill[] = []
    let total = 0n
    for (let i = 0; i < count; i++) {
      const lots = this.#lots(book)
      total += lots
      const size = ticksToDecimal(lots, book.amountScale)
      fills.push({ id: book.nextFillId++, price, size, side: message.side, ts: now })
    }
    book.fills.push(...fills)
    const sent: OkxSentTrade = {
      connection: null,
      symbol: book.symbol,
      id: String(fills.at(-1)?.id),
      firstId: String(fills[0]?.id),
      count,
      price,
      quantity: ticksToDecimal(total, book.amountScale),
      side: message.side,
      ts: now,
      fills: fills.map((fill) => ({ id: String(fill.id), quantity: fill.size }))
    }
    const data = {
      instId: book.symbol,
      tradeId: sent.id,
      px: price,
      sz: sent.quantity,
      side: message.side,
      ts: String(now),
      count: String(count),
      source: '0',
      seqId: book.lastMessageSeqId
    }
    return {
      instId: book.symbol,
      push: { arg: { channel: 'trades', instId: book.symbol }, data: [data] },
      sent
    }
  }

  /**
   * One `books` push per instrument with changes (crossed levels go, a few levels near the mid change, one
   * seqId each), or a keep-alive after keepAliveMs without change; while paused only keep-alives. REST is
   * refreshed half-way through the changes, so a REST book usually sits inside the next push
   * (prevSeqId < S < seqId). An injected gap is applied and counted but not returned.
   */
  tick(now: number, paused: boolean): { instId: string; push: unknown }[] {
    const pushes: { instId: string; push: unknown }[] = []
    for (const book of this.#books.values()) {
      const data = paused ? this.#keepAlive(book, now, true) : this.#changeBook(book, now)
      if (data)
        pushes.push({
          instId: book.symbol,
          push: { arg: { channel: 'books', instId: book.symbol }, action: 'update', data: [data] }
        })
    }
    return pushes
  }

  /** The `books` snapshot a subscribe gets: 400 levels, prevSeqId -1, seqId of the last push. */
  snapshot(instId: string, now: number): unknown {
    const book = this.#named(instId)
    const data = {
      ...this.#levels(book, 400),
      ts: String(now),
      checksum: this.#checksumOf(book),
      prevSeqId: -1,
      seqId: book.lastMessageSeqId
    }
    return { arg: { channel: 'books', instId }, action: 'snapshot', data: [data] }
  }

  /** `GET /api/v5/market/books` data: `sz` levels a side (1..400, default 1), with the book's seqId. */
  restBook(instId: string, sz: number): unknown[] {
    const { seqId, ts, bids, asks } = this.#named(instId).rest
    return [{ asks: asks.slice(0, sz), bids: bids.slice(0, sz), ts: String(ts), seqId }]
  }

  /**
   * `GET /api/v5/market/history-trades` data: fills newest first; `after` = older than (tradeId, or ts with
   * type=2), `before` = newer than (tradeId; alone it returns the newest), `limit` 1..100 (default 100).
   */
  history(instId: string, params: URLSearchParams): unknown[] {
    const book = this.#named(instId)
    const limit = Math.min(Math.max(Number(params.get('limit') ?? 100) || 100, 1), 100)
    const byTime = params.get('type') === '2'
    const after = params.get('after')
    const before = params.get('before')
    let fills = book.fills
    if (after !== null && /^\d+$/.test(after))
      fills = fills.filter((fill) => (byTime ? fill.ts < Number(after) : fill.id < BigInt(after)))
    if (before !== null && /^\d+$/.test(before) && !byTime)
      fills = fills.filter((fill) => fill.id > BigInt(before))
    return fills
      .slice(-limit)
      .reverse()
      .map((fill) => ({
        instId: book.symbol,
        side: fill.side,
        sz: fill.size,
        px: fill.price,
        source: '0',
        tradeId: String(fill.id),
        ts: String(fill.ts)
      }))
  }

  #named(instId: string): SymbolBook {
    const book = this.#books.get(instId)
    if (!book) throw new Error(`unknown instrument ${instId}`)
    return book
  }

  #lots(book: SymbolBook): bigint {
    return BigInt(1 + Math.floor(this.#random() * 10 ** Math.min(book.amountScale + 1, 8)))
  }

  #newSize(book: SymbolBook): string {
    return ticksToDecimal(this.#lots(book), book.amountScale)
  }

  #levels(book: SymbolBook, depth: number): { bids: Level[]; asks: Level[] } {
    const side = (levels: SymbolBook['bids'], descending: boolean): Level[] =>
      sortedPrices(levels, descending)
        .slice(0, depth)
        .map((p) => {
          const level = levels.get(p) as { size: string; orders: number }
          return [priceText(p, book.priceScale), level.size, '0', String(level.orders)]
        })
    return { bids: side(book.bids, true), asks: side(book.asks, false) }
  }

  #restSnapshot(book: SymbolBook, now: number): SymbolBook['rest'] {
    return { seqId: book.seqId, ts: now, ...this.#levels(book, 400) }
  }

  /** The legacy checksum: best 25 bids and asks interleaved bid:size:ask:size…, CRC32 as signed int32. */
  #checksumOf(book: SymbolBook): number {
    if (!this.#checksum) return 0
    const { bids, asks } = this.#levels(book, 25)
    const parts: string[] = []
    for (let i = 0; i < 25; i++) {
      const bid = bids[i]
      const ask = asks[i]
      if (bid) parts.push(bid[0], bid[1])
      if (ask) parts.push(ask[0], ask[1])
    }
    return crc32(parts.join(':')) | 0
  }

  #setLevel(book: SymbolBook, side: 'bids' | 'asks', price: bigint, size: string, event: Map<bigint, Level>) {
    book.seqId++
    const zero = /^0*\.?0*$/.test(size)
    const orders = 1 + Math.floor(this.#random() * 5)
    if (zero) book[side].delete(price)
    else book[side].set(price, { size, orders })
    event.set(price, [priceText(price, book.priceScale), size, '0', zero ? '0' : String(orders)])
  }

  /** Nothing changed for keepAliveMs: an empty update whose prevSeqId equals its seqId. */
  #keepAlive(book: SymbolBook, now: number, paused: boolean): unknown {
    if (paused) book.rest = this.#restSnapshot(book, now) // REST catches up with the last push
    if (now - book.lastChangeAt < this.#keepAliveMs) return null
    book.lastChangeAt = now
    this.keepAlives++
    const seqId = book.lastMessageSeqId
    return { asks: [], bids: [], ts: String(now), checksum: this.#checksumOf(book), prevSeqId: seqId, seqId }
  }

  #changeBook(book: SymbolBook, now: number): unknown {
    if (book.reset) {
      book.reset = false
      book.seqId = 3 + Math.floor(this.#random() * 10) // a fresh sequence, below the last one
    }
    const bids = new Map<bigint, Level>()
    const asks = new Map<bigint, Level>()
    const startSeq = book.seqId
    // The mid moved with the trades: levels on the wrong side of it are gone (they traded).
    for (const price of [...book.bids.keys()])
      if (price >= book.mid) this.#setLevel(book, 'bids', price, ZERO, bids)
    for (const price of [...book.asks.keys()])
      if (price <= book.mid) this.#setLevel(book, 'asks', price, ZERO, asks)
    book.rest = this.#restSnapshot(book, now)
    for (let i = 0; i < this.#changes; i++) {
      if (i === Math.floor(this.#changes / 2)) book.rest = this.#restSnapshot(book, now)
      const bid = this.#random() < 0.5
      const offset = BigInt(1 + Math.floor(this.#random() * 40))
      const price = bid ? book.mid - offset : book.mid + offset
      if (price <= 0n) continue
      const size = this.#random() < 0.25 ? ZERO : this.#newSize(book)
      this.#setLevel(book, bid ? 'bids' : 'asks', price, size, bid ? bids : asks)
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
      const best = sortedPrices(book.bids, true)[0]
      const level = best === undefined ? undefined : book.bids.get(best)
      if (best !== undefined && level) {
        const wrong = ticksToDecimal(BigInt(level.size.replace('.', '')) + 1n, book.amountScale)
        bids.set(best, [priceText(best, book.priceScale), wrong, '0', String(level.orders)])
      }
    }
    return {
      asks: [...asks.values()],
      bids: [...bids.values()],
      ts: String(now),
      checksum: this.#checksumOf(book),
      prevSeqId,
      seqId: book.seqId
    }
  }
}
