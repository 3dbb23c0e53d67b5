import type { PriceLevel } from '../../core/messages.ts'
import * as kit from '../kit/book.ts'
import { SeededMarket } from '../kit/market.ts'
import { QTY_DECIMALS, priceText, qtyText } from './spelling.ts'
import type { KrakenSentTrade, KrakenServerOptions } from './types.ts'

export type Side = Map<bigint, bigint>

export interface Trade extends KrakenSentTrade {
  timeNs: bigint
  ordType: 'limit' | 'market'
}

export interface SymbolBook {
  symbol: string
  priceScale: number
  mid: bigint
  bids: Side
  asks: Side
  trades: Trade[]
  lastTimeNs: bigint
}

/** One level change, in the order made (qty 0: deleted). */
export type Change = { side: 'bids' | 'asks'; price: bigint; qty: bigint }

/**
 * The market behind the local Kraken server (no sockets): per symbol the full book (price ticks -> quantity
 * in 1e-8 units) and every trade made, in nanosecond exchange time; trades follow TradeGenerator's prices
 * and move the book's mid.
 */
export class KrakenMarket extends SeededMarket {
  readonly books: Map<string, SymbolBook>
  /** Every trade made, in order. */
  readonly sentTrades: KrakenSentTrade[] = []
  readonly #changes: number

  constructor(options: KrakenServerOptions) {
    super('kraken', options, 4_665_846)
    this.#changes = options.changesPerTick ?? 4
    this.books = kit.bookPerSymbol(options.symbols, (spec): SymbolBook => {
      const book: SymbolBook = {
        symbol: spec.symbol,
        priceScale: spec.priceScale,
        mid: spec.priceTicks,
        bids: new Map(),
        asks: new Map(),
        trades: [],
        lastTimeNs: 0n
      }
      kit.seedBook(book, options.bookLevels ?? 100, () => this.#quantity())
      return book
    })
  }

  /** The best `levels` per side, as the exchange would publish them. */
  book(symbol: string, levels: number): { bids: PriceLevel[]; asks: PriceLevel[] } {
    const book = kit.named(this.books, symbol)
    const level = (p: bigint, q: bigint): PriceLevel => [priceText(book, p), qtyText(q)]
    return {
      bids: kit.topLevels(book.bids, true, levels, level),
      asks: kit.topLevels(book.asks, false, levels, level)
    }
  }

  /** One trade at the generator's price; the book's mid follows it. */
  trade(now: number): Trade | null {
    const { message } = this.generator.next(now)
    const book = this.books.get(message.symbol)
    if (!book) return null
    book.mid = kit.priceTicks(message.price, book.priceScale)
    const floor = BigInt(now) * 1_000_000n + BigInt(Math.floor(this.random() * 1000)) * 1_000n
    book.lastTimeNs = floor > book.lastTimeNs ? floor : book.lastTimeNs + 1_000n
    const [int = '0', frac = ''] = message.amount.split('.')
    const t: Trade = {
      symbol: book.symbol,
      id: message.id,
      price: priceText(book, book.mid),
      quantity: qtyText(BigInt(int + frac.padEnd(QTY_DECIMALS, '0'))),
      side: message.side,
      ts: Number(book.lastTimeNs / 1_000_000n),
      connections: [],
      timeNs: book.lastTimeNs,
      ordType: this.random() < 0.7 ? 'limit' : 'market'
    }
    book.trades.push(t)
    this.sentTrades.push(t)
    return t
  }

  /** This tick's level changes of one book, applied to it in order. */
  changeBook(book: SymbolBook): Change[] {
    const changes: Change[] = []
    const set = (side: 'bids' | 'asks', p: bigint, q: bigint) => {
      if (q === 0n) book[side].delete(p)
      else book[side].set(p, q)
      changes.push({ side, price: p, qty: q })
    }
    kit.removeCrossed(book, (side, p) => set(side, p, 0n))
    for (let i = 0; i < this.#changes; i++) {
      const level = kit.nearMid(this.random, book.mid, 30)
      if (!level) continue
      const { side, price } = level
      set(side, price, this.random() < 0.25 && book[side].has(price) ? 0n : this.#quantity())
    }
    return changes
  }

  #quantity(): bigint {
    return kit.randomLots(this.random, QTY_DECIMALS, 9)
  }
}
