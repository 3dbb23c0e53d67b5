import { bestLevels, sortedPrices } from '../kit/book.ts'
import { ticksToDecimal } from '../market.ts'

/** A Bybit book and its orderbook.50 topic's view, spelled as Bybit sends them (pure). */
export const DEPTH = 50

export type Levels = Map<bigint, string>

export interface SymbolBook {
  symbol: string
  priceScale: number
  amountScale: number
  mid: bigint
  bids: Levels
  asks: Levels
  /** The topic's last published view (best 50 per side) and its update id. */
  view: { bids: Levels; asks: Levels }
  u: number
  gap: boolean
}

export const priceText = (book: SymbolBook, ticks: bigint): string => ticksToDecimal(ticks, book.priceScale)

/** A side's levels as `[price, size]` text, in book order. */
export const levelsOf = (book: SymbolBook, side: Levels, descending: boolean): string[][] =>
  sortedPrices(side, descending).map((p) => [priceText(book, p), side.get(p) as string])

/** The topic's view of a book: its best 50 per side. */
export function viewOf(book: SymbolBook): { bids: Levels; asks: Levels } {
  return { bids: bestLevels(book.bids, true, DEPTH), asks: bestLevels(book.asks, false, DEPTH) }
}
