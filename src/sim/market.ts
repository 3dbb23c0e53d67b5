import { messageKey, type TradeMessage, type TradeSide } from '../core/messages.ts'

/**
 * A deterministic market: per symbol a random walk of prices in integer ticks (no floats ever touch a price)
 * and trades with sequential ids. The same seed yields the same trades, which is what dedup tests rely on.
 */
export interface SymbolSpec {
  symbol: string
  /** Starting price in ticks, and how many decimals a tick has. */
  priceTicks: bigint
  priceScale: number
  amountScale: number
}

export const DEFAULT_SYMBOLS: SymbolSpec[] = [
  { symbol: 'BTCUSDT', priceTicks: 9801250n, priceScale: 2, amountScale: 6 },
  { symbol: 'ETHUSDT', priceTicks: 345678n, priceScale: 2, amountScale: 5 },
  { symbol: 'SOLUSDT', priceTicks: 187345n, priceScale: 3, amountScale: 3 },
  { symbol: 'XRPUSDT', priceTicks: 23456n, priceScale: 4, amountScale: 1 },
  { symbol: 'DOGEUSDT', priceTicks: 389012n, priceScale: 6, amountScale: 0 }
]

export function specFor(symbol: string, index: number): SymbolSpec {
  // Polygon spells pairs BTC-USD: price them like BTCUSDT.
  const plain = symbol.replace(/[^A-Z0-9]/g, '').replace(/USD$/, 'USDT')
  const known = DEFAULT_SYMBOLS.find((s) => s.symbol === symbol || s.symbol === plain)
  return (
    (known && { ...known, symbol }) ?? {
      symbol,
      priceTicks: 100000n + BigInt(index) * 777n,
      priceScale: 2,
      amountScale: 4
    }
  )
}

/** Integer ticks to decimal text: (12345n, 2) -> "123.45". Exact. */
export function ticksToDecimal(ticks: bigint, scale: number): string {
  const negative = ticks < 0n
  const digits = (negative ? -ticks : ticks).toString().padStart(scale + 1, '0')
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`
  return negative ? `-${text}` : text
}

/** mulberry32: small, fast, seedable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export class TradeGenerator {
  readonly #exchange: string
  readonly #symbols: (SymbolSpec & { price: bigint; nextId: number })[]
  readonly #random: () => number
  #cursor = 0

  constructor(options: { exchange: string; symbols: string[]; seed: number; firstId?: number }) {
    this.#exchange = options.exchange
    this.#random = seededRandom(options.seed)
    this.#symbols = options.symbols.map((symbol, i) => {
      const spec = specFor(symbol, i)
      return { ...spec, price: spec.priceTicks, nextId: options.firstId ?? 1 }
    })
  }

  /** A plausible book around a symbol's current price: `levels` per side, one tick apart, spread of one tick. */
  book(symbol: string, levels: number): { bids: [string, string][]; asks: [string, string][] } {
    const state = this.#symbols.find((s) => s.symbol === symbol)
    if (!state) return { bids: [], asks: [] }
    const level = (offset: bigint): [string, string] => [
      ticksToDecimal(state.price + offset, state.priceScale),
      ticksToDecimal(
        BigInt(1 + Math.floor(this.#random() * 10 ** Math.min(state.amountScale + 1, 9))),
        state.amountScale
      )
    ]
    return {
      bids: Array.from({ length: levels }, (_, i) => level(-BigInt(i + 1))).filter(
        ([p]) => !p.startsWith('-')
      ),
      asks: Array.from({ length: levels }, (_, i) => level(BigInt(i + 1)))
    }
  }

  /** The next trade, round-robin over symbols, stamped with `now` (epoch ms). */
  next(now: number): { key: string; message: TradeMessage } {
    const state = this.#symbols[this.#cursor++ % this.#symbols.length] as SymbolSpec & {
      price: bigint
      nextId: number
    }
    const step = BigInt(Math.floor(this.#random() * 11) - 5) // -5..+5 ticks
    state.price = state.price + step > 1n ? state.price + step : state.price
    const amountTicks = BigInt(1 + Math.floor(this.#random() * 10 ** Math.min(state.amountScale + 1, 9)))
    const side: TradeSide = this.#random() < 0.5 ? 'buy' : 'sell'
    const message: TradeMessage = {
      v: 1,
      type: 'trade',
      exchange: this.#exchange,
      symbol: state.symbol,
      id: String(state.nextId++),
      price: ticksToDecimal(state.price, state.priceScale),
      amount: ticksToDecimal(amountTicks, state.amountScale),
      side,
      ts: now,
      recv_ts: now
    }
    return { key: messageKey(message), message }
  }
}
