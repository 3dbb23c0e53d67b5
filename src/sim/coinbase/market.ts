import type { PriceLevel } from '../../core/messages.ts'
import * as kit from '../kit/book.ts'
import { SeededMarket } from '../kit/market.ts'
import { MAX_SCALE, microTimestamp, restDecimal, socketDecimal } from './spelling.ts'
import type { CoinbaseServerOptions, SentCoinbaseTrade } from './types.ts'

export interface Product {
  symbol: string
  priceScale: number
  amountScale: number
  mid: bigint
  /** price ticks -> quantity ticks */
  bids: Map<bigint, bigint>
  asks: Map<bigint, bigint>
  gap: boolean
  /** Every trade, ascending id. */
  history: HistoryTrade[]
  /** Made since the last market_trades batch. */
  pending: HistoryTrade[]
}

export interface HistoryTrade {
  id: bigint
  priceTicks: bigint
  sizeTicks: bigint
  makerSide: 'BUY' | 'SELL'
  time: string
  sent: SentCoinbaseTrade
}

/** One tick's level changes of a product (quantity 0: deleted); `lost`: an injected gap, never sent. */
export interface BookChange {
  bids: Map<bigint, bigint>
  asks: Map<bigint, bigint>
  time: string
  lost: boolean
}

/**
 * The market behind the local Coinbase server (no sockets): per product a real book in ticks and every trade
 * made, with sequential ids; trades follow TradeGenerator's prices and move the book's mid.
 */
export class CoinbaseMarket extends SeededMarket {
  readonly products: Map<string, Product>
  /** Every trade made, in order. */
  readonly sentTrades: SentCoinbaseTrade[] = []
  readonly #changes: number

  constructor(options: CoinbaseServerOptions) {
    super('coinbase', options, options.firstTradeId ?? 500_000_000)
    this.#changes = options.changesPerUpdate ?? 3
    this.products = kit.bookPerSymbol(options.symbols, (spec): Product => {
      const product: Product = {
        symbol: spec.symbol,
        priceScale: Math.min(spec.priceScale, MAX_SCALE),
        amountScale: Math.min(spec.amountScale, MAX_SCALE),
        mid: spec.priceTicks,
        bids: new Map(),
        asks: new Map(),
        gap: false,
        history: [],
        pending: []
      }
      kit.seedBook(product, options.bookLevels ?? 100, () => this.#quantity(product))
      return product
    })
  }

  /** One draw of the seeded source, after the books' (the server's heartbeat counter starts from it). */
  draw(): number {
    return this.random()
  }

  named(symbol: string): Product {
    return kit.named(this.products, symbol, 'product')
  }

  /** The best `levels` per side, as the socket spells the decimals. */
  book(symbol: string, levels: number): { bids: PriceLevel[]; asks: PriceLevel[] } {
    const product = this.named(symbol)
    const level = (p: bigint, q: bigint): PriceLevel => [
      socketDecimal(p, product.priceScale),
      socketDecimal(q, product.amountScale)
    ]
    return {
      bids: kit.topLevels(product.bids, true, levels, level),
      asks: kit.topLevels(product.asks, false, levels, level)
    }
  }

  /** One trade at the generator's price: the mid follows it; kept in the history and the pending batch. */
  makeTrade(at: number): void {
    const { message } = this.generator.next(at)
    const product = this.products.get(message.symbol)
    if (!product) return
    product.mid = kit.priceTicks(message.price, product.priceScale)
    const sizeTicks = BigInt(message.amount.replace('.', ''))
    const id = BigInt(message.id)
    const sent: SentCoinbaseTrade = {
      symbol: product.symbol,
      id: message.id,
      price: socketDecimal(product.mid, product.priceScale),
      quantity: socketDecimal(sizeTicks, product.amountScale),
      restPrice: restDecimal(product.mid, product.priceScale),
      restQuantity: restDecimal(sizeTicks, product.amountScale),
      side: message.side,
      ts: at,
      deliveredTo: []
    }
    const trade: HistoryTrade = {
      id,
      priceTicks: product.mid,
      sizeTicks,
      makerSide: message.side === 'buy' ? 'SELL' : 'BUY', // the taker bought from a resting sell
      time: microTimestamp(at, Number(id % 1000n)),
      sent
    }
    product.history.push(trade)
    product.pending.push(trade)
    this.sentTrades.push(sent)
  }

  /** The trades made since the last batch, newest first (the pending batch starts again). */
  takePending(product: Product): HistoryTrade[] {
    const batch = product.pending.reverse()
    product.pending = []
    return batch
  }

  /** This tick's changes of a product's book: crossed levels go, a few near the mid change; null: none. */
  bookTick(product: Product, at: number): BookChange | null {
    const bids = new Map<bigint, bigint>()
    const asks = new Map<bigint, bigint>()
    const set = (side: 'bids' | 'asks', price: bigint, qty: bigint) => {
      if (qty === 0n) product[side].delete(price)
      else product[side].set(price, qty)
      ;(side === 'bids' ? bids : asks).set(price, qty)
    }
    kit.removeCrossed(product, (side, price) => set(side, price, 0n))
    for (let i = 0; i < this.#changes; i++) {
      const level = kit.nearMid(this.random, product.mid, 40)
      if (level) set(level.side, level.price, this.random() < 0.25 ? 0n : this.#quantity(product))
    }
    if (bids.size === 0 && asks.size === 0) return null
    const time = microTimestamp(at, Math.floor(this.random() * 1000))
    const lost = product.gap
    product.gap = false
    return { bids, asks, time, lost }
  }

  #quantity(product: Product): bigint {
    return kit.randomLots(this.random, product.amountScale, MAX_SCALE)
  }
}
