import type { PriceLevel } from '../../core/messages.ts'
import type { ExchangeServerOptions, RunningExchangeServer } from '../kit/exchange-server.ts'
import type { SentTrade } from '../kit/trades.ts'

/**
 * A local Bybit v5 public spot server, written from Bybit's docs (docs/exchanges/bybit.md), not from the
 * connector: one HTTP server with the WebSocket at `/v5/public/spot` and the REST `GET /v5/market/recent-trade`.
 * - Requests `{"req_id":"…","op":"subscribe"|"unsubscribe","args":[…]}` (at most 10 args) are answered
 *   `{"success":…,"ret_msg":…,"conn_id":"…","req_id":"…","op":…}`; `{"req_id":"…","op":"ping"}` is answered
 *   `{"success":true,"ret_msg":"pong","conn_id":"…","req_id":"…","op":"ping"}`.
 * - `publicTrade.<symbol>`: the trades of each tick in one message (at most 1024 a message), `S` the taker's
 *   side, `i` a numeric-string id from ONE counter for all symbols (so per symbol the ids skip), prices and
 *   sizes as strings at the instrument's precision (trailing zeros kept).
 * - `orderbook.50.<symbol>`: per symbol a real book; its top 50 per side is the topic's view. A new
 *   subscription gets a snapshot of the view (sent before the subscribe answer, as Bybit does); each tick
 *   that changes the view sends a delta of the changed levels (size "0" deletes, levels leaving the top 50
 *   are deleted, levels entering it inserted) with `u` = previous `u` + 1, or a snapshot instead when more
 *   than 100 levels changed. `u` is per topic and shared by all subscribers.
 * Test hooks: a hole in `u` (injectGap), a service restart (`u` = 1 snapshot), dropped and refused
 * connections while trading goes on, pause (pings are still answered), the server's own book, every
 * request and trade.
 */
export interface BybitServerOptions extends ExchangeServerOptions {
  /** Tick: trades are batched and the book pushed at this cadence (Bybit spot level 50: 20 ms). */
  tickMs?: number
  /** Random level changes per symbol per tick. */
  changesPerTick?: number
  /** Initial levels per side of the full book (the topic shows the best 50). */
  bookLevels?: number
}

/** A trade made (connection -1, in madeTrades) or sent on a connection. */
export type BybitSentTrade = SentTrade

export interface BybitClientRequest {
  connection: number
  op: unknown
  reqId: unknown
  args: unknown
  at: number
}

export interface RunningBybitServer extends RunningExchangeServer {
  /** The WebSocket URL: ws://host:port/v5/public/spot. */
  url: string
  /** The REST base (append /v5/market/recent-trade?…). */
  restUrl: string
  /** The server's book of a symbol as its orderbook.50 topic last showed it: best `levels` per side and `u`. */
  book(symbol: string, levels?: number): { updateId: number; bids: PriceLevel[]; asks: PriceLevel[] }
  /** The next book delta of `symbol` is made (u advances) but not sent: subscribers see a hole in `u`. */
  injectGap(symbol: string): void
  /** A service restart for `symbol`'s book topic: `u` starts again at 1 with a snapshot to every subscriber. */
  restartService(symbol: string): void
  /** Every request received (subscribe, unsubscribe, ping, anything else), in order. */
  requests(): BybitClientRequest[]
  /** Every trade sent, with the connection it went to. */
  sentTrades: BybitSentTrade[]
  /** Every trade made, connected clients or not. */
  madeTrades: BybitSentTrade[]
}
