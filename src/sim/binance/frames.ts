import { format, type DepthChange, type HistoryTrade, type SymbolBook } from './market.ts'

/** Binance combined-stream events (pure): each wrapped as `{"stream":..,"data":..}`. */

export const tradeStream = (symbol: string): string => `${symbol.toLowerCase()}@trade`
/** The depth streams a depthUpdate goes to: `@depth@100ms` and `@depth`. */
export const depthStreams = (symbol: string): string[] => [
  `${symbol.toLowerCase()}@depth@100ms`,
  `${symbol.toLowerCase()}@depth`
]

export const streamMessage = (stream: string, data: unknown): string => JSON.stringify({ stream, data })

/** A `trade` event: `m` true when the buyer was the maker (the taker sold). */
export function tradeEvent(book: SymbolBook, trade: HistoryTrade) {
  return {
    e: 'trade',
    E: trade.time,
    s: book.symbol,
    t: trade.id,
    p: trade.price,
    q: trade.qty,
    T: trade.time,
    m: trade.isBuyerMaker,
    M: true
  }
}

/** A `depthUpdate` event: consecutive U..u, levels with absolute quantities (zero deletes). */
export function depthEvent(book: SymbolBook, change: DepthChange, now: number) {
  const levels = (side: Map<bigint, string>) =>
    [...side.entries()].map(([price, qty]) => [format(price, book.priceScale), qty])
  return {
    e: 'depthUpdate',
    E: now,
    s: book.symbol,
    U: change.U,
    u: change.u,
    b: levels(change.b),
    a: levels(change.a)
  }
}
