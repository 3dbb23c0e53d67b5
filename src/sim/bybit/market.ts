import type { PriceLevel } from '../../core/messages.ts'
import * as kit from '../kit/book.ts'
import { SeededMarket } from '../kit/market.ts'
import { TradeRecord, type SentTrade } from '../kit/trades.ts'
import { ticksToDecimal } from '../market.ts'
import type { BybitServerOptions } from './types.ts'
import { levelsOf, priceText, viewOf, type Levels, type SymbolBook } from './view.ts'

const RECENT_TRADES_KEPT = 1_000
/** Bybit's first spot trade ids have 19 digits (e.g. "2100000000007764263"). */
const FIRST_TRADE_ID = 2_100_000_000_007_764_263n

export interface RecentTrade {
  execId: string
  symbol: string
  price: string
  size: string
  side: 'Buy' | 'Sell'
  time: string
  isBlockTrade: boolean
  isRPITrade: boolean
  seq: string
}

/** A `publicTrade` data item and the record of it. */
export interface MadeTrade {
  trade: Record<string, unknown>
  made: Omit<SentTrade, 'connection'>
}

/**
 * The market behind the local Bybit server (no sockets): per symbol the full book and its orderbook.50 view
 * with `u`, one trade id counter and one `seq` counter for all symbols, the recent trades REST serves.
 */
export class BybitMarket extends SeededMarket {
  readonly books: Map<string, SymbolBook>
  readonly record = new TradeRecord()
  readonly recent: Map<string, RecentTrade[]>
  /** Server-wide sequence: +1 per trade, +1..5 per book push. */
  seq = 7_961_638_724
  readonly #changes: number
  #nextTradeId = FIRST_TRADE_ID

  constructor(options: BybitServerOptions) {
    super('bybit', options)
    this.#changes = options.changesPerTick ?? 3
    this.books = kit.bookPerSymbol(options.symbols, (spec): SymbolBook => {
      const book: SymbolBook = {
        symbol: spec.symbol,
        priceScale: spec.priceScale,
        amountScale: spec.amountScale,
        mid: spec.priceTicks,
        bids: new Map(),
        asks: new Map(),
        view: { bids: new Map(), asks: new Map() },
        u: 1_000_000 + Math.floor(this.random() * 1_000_000),
        gap: false
      }
      kit.seedBook(book, options.bookLevels ?? 100, () => this.#quantity(book))
      book.view = viewOf(book)
      return book
    })
    this.recent = new Map(options.symbols.map((s) => [s, []]))
  }

  named(symbol: string): SymbolBook {
    return kit.named(this.books, symbol)
  }

  /** The topic's view: best `levels` per side and `u`. */
  book(symbol: string, levels: number): { updateId: number; bids: PriceLevel[]; asks: PriceLevel[] } {
    const book = this.named(symbol)
    const level = (p: bigint, q: string): PriceLevel => [priceText(book, p), q]
    const { bids, asks } = book.view
    return {
      updateId: book.u,
      bids: kit.topLevels(bids, true, levels, level),
      asks: kit.topLevels(asks, false, levels, level)
    }
  }

  /** `due` trades at the generator's prices, per symbol in order; each moves its book's mid. */
  trades(now: number, due: number): Map<string, MadeTrade[]> {
    const batches = new Map<string, MadeTrade[]>()
    for (let i = 0; i < due; i++) {
      const { message } = this.generator.next(now)
      const book = this.books.get(message.symbol)
      if (!book) continue
      book.mid = kit.priceTicks(message.price, book.priceScale)
      const id = String(this.#nextTradeId++)
      this.seq += 1
      const side = message.side === 'buy' ? 'Buy' : 'Sell'
      const p = priceText(book, book.mid)
      const trade = {
        T: now,
        s: message.symbol,
        S: side,
        v: message.amount,
        p,
        i: id,
        BT: false,
        RPI: false,
        seq: this.seq
      }
      const made = { symbol: message.symbol, id, price: p, quantity: trade.v, side: message.side }
      this.record.make(made)
      const kept = this.recent.get(message.symbol) as RecentTrade[]
      kept.push({
        execId: id,
        symbol: message.symbol,
        price: p,
        size: trade.v,
        side,
        time: String(now),
        isBlockTrade: false,
        isRPITrade: false,
        seq: String(this.seq)
      })
      if (kept.length > RECENT_TRADES_KEPT) kept.shift()
      const batch = batches.get(message.symbol) ?? []
      batch.push({ trade, made })
      batches.set(message.symbol, batch)
    }
    return batches
  }

  /**
   * The full book moves (crossed levels go, a few change near the mid); the view's changed levels ("0":
   * deleted), with `u` advanced. Null: the view did not change, or the change is an injected gap (not sent).
   */
  moveBook(book: SymbolBook): { b: string[][]; a: string[][] } | null {
    kit.removeCrossed(book, (side, p) => book[side].delete(p))
    for (let i = 0; i < this.#changes; i++) {
      const level = kit.nearMid(this.random, book.mid, 60)
      if (!level) continue
      if (this.random() < 0.25) book[level.side].delete(level.price)
      else book[level.side].set(level.price, this.#quantity(book))
    }
    const next = viewOf(book)
    const diff = (before: Levels, after: Levels, descending: boolean): string[][] => {
      const changed = new Map<bigint, string>()
      for (const [p, q] of after) if (before.get(p) !== q) changed.set(p, q)
      for (const p of before.keys()) if (!after.has(p)) changed.set(p, '0')
      return levelsOf(book, changed, descending)
    }
    const b = diff(book.view.bids, next.bids, true)
    const a = diff(book.view.asks, next.asks, false)
    if (b.length + a.length === 0) return null // nothing changed: nothing is sent
    book.view = next
    book.u++
    this.seq += 1 + Math.floor(this.random() * 5)
    if (book.gap) {
      book.gap = false // made, never sent: subscribers' next u skips one
      return null
    }
    return { b, a }
  }

  /** A service restart: `u` starts again at 1 with the current view. */
  restart(symbol: string): SymbolBook {
    const book = this.named(symbol)
    book.u = 1
    book.view = viewOf(book)
    return book
  }

  #quantity(book: SymbolBook): string {
    return ticksToDecimal(kit.randomLots(this.random, book.amountScale), book.amountScale)
  }
}
