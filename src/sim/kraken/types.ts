import type { PriceLevel, TradeSide } from '../../core/messages.ts'
import type { ExchangeServerOptions, RunningExchangeServer } from '../kit/exchange-server.ts'

/**
 * A local Kraken spot server, protocol-accurate for what a v2 client uses (facts: docs/exchanges/kraken.md).
 * WebSocket `/v2`: a `status` frame on connect (connection_id above 2^53), `ping` -> `pong`, `subscribe` /
 * `unsubscribe` with one acknowledgement per symbol, `trade` (sequential trade_id per book, taker side) and
 * `book` at the subscribed depth: a snapshot, then updates holding every level change in order (a price may
 * repeat), a delete only for a level that leaves the book, the level that moves into scope when one leaves,
 * nothing for levels pushed out of scope, and the CRC32 of the subscriber's top 10 per side. Prices and
 * quantities are JSON numbers written by hand at full precision (`0.12340000`, trailing zeros kept), so a
 * client that reformats them through a float computes a wrong checksum. `{"channel":"heartbeat"}` after a
 * second without other frames; a client that sends nothing for `idleTimeoutMs` is disconnected.
 * REST `GET /0/public/Trades?pair=XBTUSD&since=<ns>&count=` pages the full trade history by time.
 * The market keeps trading while clients are disconnected (`disconnectFor`); heartbeats go on while paused.
 */
export interface KrakenServerOptions extends ExchangeServerOptions {
  /** WebSocket v2 symbols, e.g. BTC/USD. */
  symbols: string[]
  /** Market cadence: trades and book changes are made (and sent) every tickMs. */
  tickMs?: number
  /** Level changes per symbol per tick. */
  changesPerTick?: number
  /** Initial levels per side of the full book (deeper than any subscription here). */
  bookLevels?: number
  /** Disconnect a client that sent nothing (not even a ping) for this long. Default 60 s. */
  idleTimeoutMs?: number
}

export interface KrakenSentTrade {
  symbol: string
  id: string
  price: string
  quantity: string
  side: TradeSide
  /** Exchange time, epoch ms. */
  ts: number
  /** Indexes of the connections it was sent to (empty: made while nobody was subscribed). */
  connections: number[]
}

/** How the next trade-history requests fail: HTTP 429 + Retry-After, or Kraken's in-body error. */
export type KrakenHistoryFailure = { retryAfterS: number } | { inBody: true }

/** One trade-history request: its query and the HTTP status answered. */
export interface KrakenHistoryRequest {
  pair: string
  since: string | null
  count: string | null
  at: number
  status: number
}

export interface RunningKrakenServer extends RunningExchangeServer {
  /** WebSocket endpoint (…/v2). */
  url: string
  /** REST base (append /0/public/Trades?...). */
  restUrl: string
  /** The server's book of a symbol: best `levels` per side, as the exchange would publish them. */
  book(symbol: string, levels?: number): { bids: PriceLevel[]; asks: PriceLevel[] }
  /** The next book update of `symbol` carries a wrong quantity for the best bid: clients' checksums fail. */
  corruptNextBookUpdate(symbol: string): void
  /** The next `n` trade-history requests are rate limited: HTTP 429 + Retry-After, or Kraken's in-body error. */
  failTradeHistory(n: number, how: KrakenHistoryFailure): void
  /** Every trade-history request: query and the HTTP status answered. */
  historyRequests(): KrakenHistoryRequest[]
  /** `book` subscriptions accepted so far for a symbol (one per connection, plus one per resync). */
  bookSubscriptions(symbol: string): number
  /** Application-level pings received. */
  pings(): number
  /** Every trade made, including while no client was connected. */
  sentTrades: KrakenSentTrade[]
}
