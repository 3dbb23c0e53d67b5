import type { TradeMessage, PriceLevel } from '../core/messages.ts'

/**
 * One exchange protocol as the simulator speaks it: how a client subscribes, and how trades and book
 * updates are framed. The server (server.ts) owns pacing, prices and fault modes; a protocol only frames.
 */
export interface SimSubscriptions {
  /** Symbols whose trades the client asked for (the protocol's own spelling, e.g. BTCUSDT or BTC-USD). */
  trades: Set<string>
  /** Symbols whose book (depth or quotes) the client asked for. */
  books: Set<string>
  /** Symbols whose minute aggregates the client asked for. */
  aggregates: Set<string>
}

export interface SimConnection {
  subscriptions: SimSubscriptions
  /** Protocol state, e.g. Polygon's authenticated flag. */
  authenticated: boolean
}

export interface SimBook {
  bids: PriceLevel[]
  asks: PriceLevel[]
}

export interface SimAggregate {
  symbol: string
  open: string
  high: string
  low: string
  close: string
  volume: string
  trades: number
  start: number
  end: number
}

export interface SimProtocol {
  /** e.g. "Wallex v1" */
  title: string
  /** The URL path clients connect to. */
  path: string
  /** Frames sent when a client connects. */
  greet(connection: SimConnection): string[]
  /** A client frame: update subscriptions, return replies. Unknown frames are ignored, as exchanges do. */
  onClientFrame(text: string, connection: SimConnection): string[]
  /** Frames carrying these trades (one per trade, or batched where the exchange batches). */
  tradeFrames(trades: TradeMessage[], connection: SimConnection): string[]
  /** Frames carrying the book of a symbol. */
  bookFrames(symbol: string, book: SimBook, now: number): string[]
  /** Frames carrying a finished minute aggregate (protocols without aggregates return []). */
  aggregateFrames(aggregate: SimAggregate): string[]
  /** An application-level ping, where the protocol has one (Centrifugo's `{}`). */
  ping?: string
}

export const emptySubscriptions = (): SimSubscriptions => ({
  trades: new Set(),
  books: new Set(),
  aggregates: new Set()
})
