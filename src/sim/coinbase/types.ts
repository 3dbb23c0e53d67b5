import type { PriceLevel, TradeSide } from '../../core/messages.ts'
import type { ExchangeServerOptions, RunningExchangeServer } from '../kit/exchange-server.ts'

/**
 * A local Coinbase server, protocol-accurate for what the feed uses (facts: docs/exchanges/coinbase.md; it
 * imports nothing of the connector). One HTTP server with:
 * - the Advanced Trade market-data WebSocket (at `/`): `subscribe`/`unsubscribe` with one channel per
 *   message, acknowledged on channel `subscriptions`; no subscribe within 5 s closes the connection. Every
 *   message carries `sequence_num`, counted per connection (+1 per message), and a nanosecond RFC 3339
 *   `timestamp`. `heartbeats` once a second with a server-wide `heartbeat_counter` (a string, as in the docs);
 *   `market_trades` a snapshot of the last 50 trades per product on every subscribe, then the trades of each
 *   250 ms batched into one `update` per product, newest first, `side` the maker's (BUY/SELL); `level2` as
 *   channel `l2_data`: a `snapshot` event with the whole book (event_time 1970-01-01, as in the docs' example)
 *   on every subscribe, then `update` events with absolute quantities ("0" deletes; `offer` = ask). Socket
 *   decimals are sent without trailing zeros ("1260.01", "0.3").
 * - the Exchange REST trade history `GET /products/{id}/trades?limit=&before=&after=`: newest first, up to
 *   1000, `after` = older than the cursor, `before` = newer than it, `cb-before`/`cb-after` headers, numeric
 *   `trade_id`, prices and sizes with 8 decimals, `side` the maker's (buy/sell).
 * Per product it keeps a real book and sequential trade ids; trades follow TradeGenerator's prices and move
 * the book's mid. Every trade made is in the REST history, including while no client can connect.
 * Test hooks: drop or refuse connections (trading goes on, the REST history keeps every trade), lose a book
 * update, pause (heartbeats go on), rate-limit the REST.
 */
export interface CoinbaseServerOptions extends ExchangeServerOptions {
  /** Product ids, e.g. BTC-USD. */
  symbols: string[]
  /** Book changes (and trade making) cadence. */
  tickMs?: number
  /** market_trades batching (Coinbase: 250 ms). */
  tradeBatchMs?: number
  /** Level changes per product per tick. */
  changesPerUpdate?: number
  /** Initial levels per side. */
  bookLevels?: number
  heartbeatMs?: number
  /** A connection that has not subscribed within this long is closed (Coinbase: 5 s). */
  subscribeTimeoutMs?: number
  /** Trades per product in the market_trades snapshot sent on subscribe. */
  snapshotTrades?: number
  /** The first trade id of every product. */
  firstTradeId?: number
}

export interface SentCoinbaseTrade {
  symbol: string
  id: string
  /** As the socket sends them (no trailing zeros). */
  price: string
  quantity: string
  /** As the Exchange REST API sends them (8 decimals). */
  restPrice: string
  restQuantity: string
  /** The taker's side (the socket and REST send the maker's). */
  side: TradeSide
  ts: number
  /** The connections this trade went to in a market_trades update (snapshots not counted). */
  deliveredTo: number[]
}

/** One REST trade-history request: product, query, time and status. */
export interface TradeHistoryRequest {
  symbol: string
  query: string
  at: number
  status: number
}

export interface RunningCoinbaseServer extends RunningExchangeServer {
  /** WebSocket URL (the feed's --url). */
  url: string
  /** REST base (the feed's --coinbase-rest-url). */
  restUrl: string
  /** The server's current book of a product: best `levels` per side, as the socket spells the decimals. */
  book(symbol: string, levels?: number): { bids: PriceLevel[]; asks: PriceLevel[] }
  /** The next level2 update of `symbol` is applied but never sent: its sequence_num is skipped on every connection. */
  injectGap(symbol: string): void
  /** The next `n` REST trade-history requests answer 429, with a Retry-After header if `retryAfterS` is given. */
  failTradeHistory(n: number, rateLimit?: { retryAfterS?: number }): void
  /** Every REST trade-history request: product, query, time and status. */
  tradeHistoryLog(): TradeHistoryRequest[]
  /** Every message a client sent, parsed (connection index and the message). */
  received: { connection: number; message: unknown }[]
  /** Every trade made, in order, including those made while no client was connected. */
  sentTrades: SentCoinbaseTrade[]
}
