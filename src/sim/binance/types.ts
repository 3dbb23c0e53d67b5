import type { PriceLevel } from '../../core/messages.ts'
import type { ExchangeServerOptions, RunningExchangeServer } from '../kit/exchange-server.ts'
import type { SentTrade } from '../kit/trades.ts'

/**
 * A local Binance spot server, protocol-accurate for what the feed uses: one HTTP server with the REST depth
 * snapshot (`GET /api/v3/depth?symbol=BTCUSDT&limit=5000` -> `{"lastUpdateId":..,"bids":..,"asks":..}`) and
 * WebSocket combined streams (`/stream?streams=btcusdt@trade/btcusdt@depth@100ms`, each event wrapped as
 * `{"stream":..,"data":..}`), and the trade history (`GET /api/v3/historicalTrades?symbol=&fromId=&limit=`:
 * up to `limit` (default 500, at most 1000) trades from id `fromId` on, oldest first; without fromId the most
 * recent). Per symbol it keeps a real book; every `depthEveryMs` it changes a few levels
 * (one update id per change) and sends one depthUpdate with consecutive U..u; trades follow TradeGenerator's
 * prices and move the book's mid. Test hooks: inject a gap, drop connections, pause, read the book.
 */
export interface BinanceServerOptions extends ExchangeServerOptions {
  /** Diff depth cadence (Binance: 100 or 1000 ms). */
  depthEveryMs?: number
  /** Level changes per depth event. */
  changesPerUpdate?: number
  /** Initial levels per side. */
  bookLevels?: number
  /** Delay between taking a REST snapshot and answering it (events keep flowing meanwhile). */
  snapshotDelayMs?: number
}

/** How a failing request fails: rate limited (429 + Retry-After), or 503 without a rate limit. */
export type BinanceFailure = { rateLimit: { retryAfterS: number } | undefined }

export interface RunningBinanceServer extends RunningExchangeServer {
  /** WebSocket base (append /stream?streams=...). */
  url: string
  /** REST base (append /api/v3/depth?...). */
  restUrl: string
  /** The server's current book of a symbol: best `levels` per side, as the REST snapshot would send it. */
  book(symbol: string, levels?: number): { lastUpdateId: number; bids: PriceLevel[]; asks: PriceLevel[] }
  /** The next depth event of `symbol` is applied but not sent: clients see a hole in the update ids. */
  injectGap(symbol: string): void
  /** The next `n` trade-history requests fail with HTTP 503, or 429 with a Retry-After (rate limited). */
  failHistory(n: number, rateLimit?: { retryAfterS: number }): void
  /** Trade-history requests served so far (any status). */
  historyRequests(): { fromId: string | null; status: number }[]
  /** Every trade made, connected clients or not (what the trade history serves). */
  madeTrades: SentTrade[]
  /** The next `n` snapshot requests fail with HTTP 503, or 429 with a Retry-After (rate limited). */
  failSnapshots(n: number, rateLimit?: { retryAfterS: number }): void
  /** Every snapshot request: symbol, arrival time (epoch ms) and the status answered. */
  snapshotLog(): { symbol: string; at: number; status: number }[]
  /** REST snapshot requests served so far, per symbol (uppercase). */
  snapshotRequests(symbol: string): number
  /** Every trade sent, with the connection it went to (its index among connections()). */
  sentTrades: SentTrade[]
}
