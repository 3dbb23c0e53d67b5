import type { PriceLevel, TradeSide } from '../../core/messages.ts'
import type { ExchangeServerOptions, RunningExchangeServer } from '../kit/exchange-server.ts'

/** How the market behind the local OKX server moves (market.ts). */
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

/**
 * A local OKX v5 public server, written from the protocol facts in docs/exchanges/okx.md (not from the
 * connector): one HTTP server with the WebSocket `/ws/v5/public` — `{"op":"subscribe","args":[…]}` acked per
 * arg (`{"event":"subscribe","arg":…,"connId":…}`), errors 60012/60018, `trades` and `books` pushes
 * (sim/okx/market.ts), the text `ping` answered `pong`, connections dropped after idleTimeoutMs without a
 * subscription or a push — and REST `/api/v5/market/books` and `/api/v5/market/history-trades` (429 with
 * code 50011 on demand). Trading goes on while clients are away (`disconnectFor`), so REST has what the
 * socket missed; while paused, keep-alive updates and pongs go on.
 */
export interface OkxServerOptions extends OkxMarketOptions, ExchangeServerOptions {
  /** Taker orders per second over all instruments. */
  tradesPerSecond: number
  /** `books` push cadence (OKX: 100 ms). */
  depthEveryMs?: number
  /** A books snapshot after each subscribe ack (OKX today); false = updates only, seed from REST. */
  snapshotOnSubscribe?: boolean
  /** Connections with no subscription or nothing pushed for this long are dropped (OKX: 30 s). */
  idleTimeoutMs?: number
  /** Delay before answering a REST book (taken at request time; pushes go on meanwhile). */
  restBookDelayMs?: number
}

/** One REST request: path, query, arrival time and status. */
export interface OkxRestRequest {
  path: string
  query: string
  at: number
  status: number
}

/** One subscribe/unsubscribe arg received: connection, op, channel, instId. */
export interface OkxRequest {
  connection: number
  op: string
  channel: string
  instId: string
}

export interface RunningOkxServer extends RunningExchangeServer {
  /** WebSocket URL (…/ws/v5/public). */
  url: string
  /** REST base (append /api/v5/market/…). */
  restUrl: string
  /** The server's book: best `levels` per side, as [price, size] text, and the last pushed seqId. */
  book(symbol: string, levels?: number): { seqId: number; bids: PriceLevel[]; asks: PriceLevel[] }
  /** The next books update of `symbol` is applied but not sent: the one after it does not follow. */
  injectGap(symbol: string): void
  /** The next books update of `symbol` carries a wrong size for the best bid (the checksum, if on, is right). */
  corruptNextBookUpdate(symbol: string): void
  /** The next books update of `symbol` restarts the sequence (seqId < prevSeqId), as after maintenance. */
  resetSequence(symbol: string): void
  /** The next `n` history-trades (or books) requests answer 429, code 50011, with Retry-After if given. */
  rateLimitHistory(n: number, retryAfterS?: number): void
  rateLimitBooks(n: number, retryAfterS?: number): void
  /** Every REST request: path, query, arrival time and status. */
  restLog(): OkxRestRequest[]
  /** Every subscribe/unsubscribe arg received: connection, op, channel, instId. */
  requests(): OkxRequest[]
  /** Connections dropped for being idle (no subscription, or nothing pushed, for idleTimeoutMs). */
  idleDrops(): number
  /** Pings answered. */
  pongs(): number
  /** Empty keep-alive updates (prevSeqId == seqId) made. */
  keepAlives(): number
  /** Every taker order made, including while no one was connected. */
  sentTrades: OkxSentTrade[]
}
