import type { PriceLevel } from '../../core/messages.ts'
import * as kit from '../kit/book.ts'
import { SeededMarket } from '../kit/market.ts'
import { TradeRecord, type SentTrade } from '../kit/trades.ts'
import type { BinanceServerOptions } from './types.ts'

const DECIMALS = 8 // Binance sends prices and quantities with 8 decimals: "0.00100000"

/** Ticks at `scale` -> Binance's 8-decimal text. */
export const format = (ticks: bigint, scale: number): string => kit.fixedDecimal(ticks, scale, DECIMALS)

type Levels = Map<bigint, string>

export interface SymbolBook {
  symbol: string
  priceScale: number
  amountScale: number
  mid: bigint
  updateId: number
  bids: Levels
  asks: Levels
  gap: boolean
}

/** A trade as the history serves it (`isBuyerMaker`: the taker sold). */
export interface HistoryTrade {
  id: number
  price: string
  qty: string
  time: number
  isBuyerMaker: boolean
}

/** One depth tick's changes: update ids U..u, the levels set (8-decimal quantities, zero: deleted). */
export interface DepthChange {
  U: number
  u: number
  b: Levels
  a: Levels
}

/**
 * The market behind the local Binance server (no sockets): per symbol a real book with one update id per
 * level change, and every trade made (the trade history); trades follow TradeGenerator's prices and move the
 * book's mid.
 */
export class BinanceMarket extends SeededMarket {
  readonly books: Map<string, SymbolBook>
  readonly record = new TradeRecord()
  readonly history = new Map<string, HistoryTrade[]>()
  readonly #changes: number

  constructor(options: BinanceServerOptions) {
    super('binance', options, 1_000)
    this.#changes = options.changesPerUpdate ?? 3
    this.books = kit.bookPerSymbol(options.symbols, (spec): SymbolBook => {
      const book: SymbolBook = {
        symbol: spec.symbol,
        priceScale: Math.min(spec.priceScale, DECIMALS),
        amountScale: Math.min(spec.amountScale, DECIMALS),
        mid: spec.priceTicks,
        updateId: 1_000_000 + Math.floor(this.random() * 1_000_000),
        bids: new Map(),
        asks: new Map(),
        gap: false
      }
      kit.seedBook(book, options.bookLevels ?? 100, () => this.#quantity(book))
      return book
    })
    for (const symbol of options.symbols) this.history.set(symbol, [])
  }

  named(symbol: string): SymbolBook {
    return kit.named(this.books, symbol)
  }

  /** The best `levels` per side, as the REST snapshot sends them. */
  top(book: SymbolBook, levels: number): { lastUpdateId: number; bids: PriceLevel[]; asks: PriceLevel[] } {
    const level = (p: bigint, q: string): PriceLevel => [format(p, book.priceScale), q]
    return {
      lastUpdateId: book.updateId,
      bids: kit.topLevels(book.bids, true, levels, level),
      asks: kit.topLevels(book.asks, false, levels, level)
    }
  }

  /** One trade at the generator's price (the mid follows it), recorded and kept in the history. */
  trade(now: number): { book: SymbolBook; trade: HistoryTrade; made: Omit<SentTrade, 'connection'> } | null {
    const { message } = this.generator.next(now)
    const book = this.books.get(message.symbol)
    if (!book) return null
    book.mid = kit.priceTicks(message.price, book.priceScale)
    const price = format(book.mid, book.priceScale)
    const qty = format(BigInt(message.amount.replace('.', '')), book.amountScale)
    const trade = { id: Number(message.id), price, qty, time: now, isBuyerMaker: message.side === 'sell' }
    const made = { symbol: message.symbol, id: message.id, price, quantity: qty, side: message.side }
    this.record.make(made)
    this.history.get(message.symbol)?.push(trade)
    return { book, trade, made }
  }

  /** One depth tick: crossed levels go, a few near the mid change. Null: nothing changed, or an injected gap. */
  depthTick(book: SymbolBook): DepthChange | null {
    const U = book.updateId + 1
    const change: DepthChange = { U, u: U, b: new Map(), a: new Map() }
    const set = (side: 'bids' | 'asks', price: bigint, qty: string): void => {
      book.updateId++
      if (/^0\.?0*$/.test(qty)) book[side].delete(price)
      else book[side].set(price, qty)
      change[side === 'bids' ? 'b' : 'a'].set(price, qty)
    }
    kit.removeCrossed(book, (side, price) => set(side, price, format(0n, 0)))
    for (let i = 0; i < this.#changes; i++) {
      const level = kit.nearMid(this.random, book.mid, 40)
      if (level) set(level.side, level.price, this.random() < 0.25 ? format(0n, 0) : this.#quantity(book))
    }
    if (book.updateId < U) return null // nothing changed: Binance sends nothing
    if (book.gap) {
      book.gap = false // applied here, never sent: the client's next event starts after a hole
      return null
    }
    change.u = book.updateId
    return change
  }

  #quantity(book: SymbolBook): string {
    return format(kit.randomLots(this.random, book.amountScale), book.amountScale)
  }
}
