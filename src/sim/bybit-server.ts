import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { WebSocket } from 'ws'
import type { PriceLevel } from '../core/messages.ts'
import { bestLevels, priceTicks, seedBook, sortedPrices } from './kit/book.ts'
import type { ExchangeServerOptions, RunningExchangeServer } from './kit/exchange-server.ts'
import { replyJson } from './kit/http.ts'
import { ExchangeSockets } from './kit/sockets.ts'
import { TradePacer, TradeRecord, type SentTrade } from './kit/trades.ts'
import { TradeGenerator, seededRandom, specFor, ticksToDecimal } from './market.ts'

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

const DEPTH = 50
const MAX_ARGS = 10
const MAX_TRADES_PER_MESSAGE = 1024
/** More changed levels than this in one push: a snapshot is sent instead of a delta (Bybit's SBE docs). */
const SNAPSHOT_ABOVE_CHANGES = 100
const RECENT_TRADES_KEPT = 1_000
/** Bybit's first spot trade ids have 19 digits (e.g. "2100000000007764263"). */
const FIRST_TRADE_ID = 2_100_000_000_007_764_263n

interface SymbolBook {
  symbol: string
  priceScale: number
  amountScale: number
  mid: bigint
  bids: Map<bigint, string>
  asks: Map<bigint, string>
  /** The topic's last published view (best 50 per side) and its update id. */
  view: { bids: Map<bigint, string>; asks: Map<bigint, string> }
  u: number
  gap: boolean
}

interface Client {
  index: number
  connId: string
  socket: WebSocket
  topics: Set<string>
}

interface RecentTrade {
  execId: string
  symbol: string
  price: string
  size: string
  side: 'Buy' | 'Sell'
  time: string
  isBlockTrade: boolean
  isRPITrade: boolean
  seq: string
}

export async function startBybitServer(options: BybitServerOptions): Promise<RunningBybitServer> {
  const tickMs = options.tickMs ?? 20
  const changes = options.changesPerTick ?? 3
  const random = seededRandom(options.seed)
  const generator = new TradeGenerator({ exchange: 'bybit', symbols: options.symbols, seed: options.seed })
  const quantity = (book: SymbolBook): string =>
    ticksToDecimal(
      BigInt(1 + Math.floor(random() * 10 ** Math.min(book.amountScale + 1, 8))),
      book.amountScale
    )
  const price = (book: SymbolBook, ticks: bigint): string => ticksToDecimal(ticks, book.priceScale)

  const books = new Map<string, SymbolBook>()
  for (const [i, symbol] of options.symbols.entries()) {
    const spec = specFor(symbol, i)
    const book: SymbolBook = {
      symbol,
      priceScale: spec.priceScale,
      amountScale: spec.amountScale,
      mid: spec.priceTicks,
      bids: new Map(),
      asks: new Map(),
      view: { bids: new Map(), asks: new Map() },
      u: 1_000_000 + Math.floor(random() * 1_000_000),
      gap: false
    }
    seedBook(book, options.bookLevels ?? 100, () => quantity(book))
    book.view = viewOf(book)
    books.set(symbol, book)
  }

  const pacer = new TradePacer(options.tradesPerSecond)
  let nextTradeId = FIRST_TRADE_ID
  let seq = 7_961_638_724
  const record = new TradeRecord()
  const requestLog: BybitClientRequest[] = []
  const recent = new Map<string, RecentTrade[]>(options.symbols.map((s) => [s, []]))

  function viewOf(book: SymbolBook): { bids: Map<bigint, string>; asks: Map<bigint, string> } {
    return { bids: bestLevels(book.bids, true, DEPTH), asks: bestLevels(book.asks, false, DEPTH) }
  }

  const levelsOf = (book: SymbolBook, side: Map<bigint, string>, descending: boolean): string[][] =>
    sortedPrices(side, descending).map((p) => [price(book, p), side.get(p) as string])

  const bookMessage = (
    book: SymbolBook,
    type: 'snapshot' | 'delta',
    now: number,
    b: string[][],
    a: string[][]
  ) =>
    // Spot book messages carry "ts" before "type" (Bybit's orderbook page).
    JSON.stringify({
      topic: `orderbook.${DEPTH}.${book.symbol}`,
      ts: now,
      type,
      data: { s: book.symbol, b, a, u: book.u, seq },
      cts: now - 2
    })

  const snapshotOf = (book: SymbolBook, now: number): string =>
    bookMessage(
      book,
      'snapshot',
      now,
      levelsOf(book, book.view.bids, true),
      levelsOf(book, book.view.asks, false)
    )

  const publish = (topic: string, text: string, onSent?: (client: Client) => void): void => {
    for (const client of sockets.clients) {
      if (!client.topics.has(topic) || client.socket.readyState !== client.socket.OPEN) continue
      client.socket.send(text)
      onSent?.(client)
    }
  }

  const answer = (client: Client, request: Record<string, unknown>, success: boolean, retMsg: string) => {
    const reply: Record<string, unknown> = { success, ret_msg: retMsg, conn_id: client.connId }
    if (request.req_id !== undefined) reply.req_id = request.req_id
    reply.op = request.op
    client.socket.send(JSON.stringify(reply))
  }

  /** The symbol of a topic this server serves, or null. */
  const served = (topic: string): string | null => {
    const match = /^(?:publicTrade|orderbook\.50)\.([A-Z0-9]+)$/.exec(topic)
    return match && books.has(match[1] as string) ? (match[1] as string) : null
  }

  const onRequest = (client: Client, text: string): void => {
    let request: Record<string, unknown>
    try {
      const parsed: unknown = JSON.parse(text)
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object')
      request = parsed as Record<string, unknown>
    } catch {
      // ⚠ Bybit's text for an unreadable request is not documented.
      client.socket.send(
        JSON.stringify({ success: false, ret_msg: 'error:request not json', conn_id: client.connId })
      )
      return
    }
    requestLog.push({
      connection: client.index,
      op: request.op,
      reqId: request.req_id,
      args: request.args,
      at: Date.now()
    })
    if (request.op === 'ping') return answer(client, request, true, 'pong')
    if (request.op !== 'subscribe' && request.op !== 'unsubscribe')
      return answer(client, request, false, `error:handler not found,op:${String(request.op)}`)
    const args = request.args
    if (!Array.isArray(args) || args.length === 0 || args.some((arg) => typeof arg !== 'string'))
      return answer(client, request, false, 'error:args must be a non-empty array of topics')
    if (args.length > MAX_ARGS) return answer(client, request, false, `error:args size >${MAX_ARGS}`)
    const failures: string[] = []
    for (const topic of args as string[]) {
      const symbol = served(topic)
      if (symbol === null) {
        failures.push(`error:handler not found,topic:${topic}`)
        continue
      }
      if (request.op === 'unsubscribe') {
        if (!client.topics.delete(topic)) failures.push(`error:not subscribed,topic:${topic}`)
        continue
      }
      if (client.topics.has(topic)) {
        failures.push(`error:already subscribed,topic:${topic}`)
        continue
      }
      client.topics.add(topic)
      // The first snapshot goes out before the subscribe answer (observed by Bybit.Net, issue #200).
      if (topic.startsWith('orderbook.'))
        client.socket.send(snapshotOf(books.get(symbol) as SymbolBook, Date.now()))
    }
    if (failures.length > 0) return answer(client, request, false, failures.join(';'))
    answer(client, request, true, request.op === 'subscribe' ? 'subscribe' : '')
  }

  const recentTrades = (url: URL, response: ServerResponse): void => {
    const reply = (body: Record<string, unknown>) =>
      replyJson(response, 200, { ...body, retExtInfo: {}, time: Date.now() })
    const trades = recent.get(url.searchParams.get('symbol') ?? '')
    // ⚠ The exact retMsg texts of Bybit's parameter errors are not documented for this endpoint.
    if (url.searchParams.get('category') !== 'spot' || !trades)
      return reply({ retCode: 10001, retMsg: 'params error: category or symbol invalid', result: {} })
    const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 60) || 60, 1), 60)
    reply({ retCode: 0, retMsg: 'OK', result: { category: 'spot', list: trades.slice(-limit).reverse() } })
  }

  const sockets = new ExchangeSockets<Client>({
    rest: (request: IncomingMessage, response: ServerResponse) => {
      const url = new URL(request.url ?? '/', 'http://localhost')
      if (request.method === 'GET' && url.pathname === '/v5/market/recent-trade')
        return recentTrades(url, response)
      response.writeHead(404, { 'content-type': 'text/plain' })
      response.end('404 page not found')
    },
    route: (url) => (url.pathname === '/v5/public/spot' ? null : '404 Not Found'),
    accept: (socket, index) => {
      const client: Client = {
        index,
        connId: `${randomBytes(10).toString('hex')}-${randomBytes(2).toString('hex')}`,
        socket,
        topics: new Set()
      }
      socket.on('message', (data) => onRequest(client, data.toString()))
      return client
    }
  })

  /** One random change of the full book near the mid: a new size, or the level deleted. */
  const change = (book: SymbolBook): void => {
    const bid = random() < 0.5
    const offset = BigInt(1 + Math.floor(random() * 60))
    const at = bid ? book.mid - offset : book.mid + offset
    if (at <= 0n) return
    const side = bid ? book.bids : book.asks
    if (random() < 0.25) side.delete(at)
    else side.set(at, quantity(book))
  }

  /** The full book moved: send the topic's change as a delta (or a snapshot when it is large). */
  const pushBook = (book: SymbolBook, now: number): void => {
    // Levels on the wrong side of the traded price are gone (they traded).
    for (const p of [...book.bids.keys()]) if (p >= book.mid) book.bids.delete(p)
    for (const p of [...book.asks.keys()]) if (p <= book.mid) book.asks.delete(p)
    for (let i = 0; i < changes; i++) change(book)
    const next = viewOf(book)
    const diff = (
      before: Map<bigint, string>,
      after: Map<bigint, string>,
      descending: boolean
    ): string[][] => {
      const changed = new Map<bigint, string>()
      for (const [p, q] of after) if (before.get(p) !== q) changed.set(p, q)
      for (const p of before.keys()) if (!after.has(p)) changed.set(p, '0')
      return levelsOf(book, changed, descending)
    }
    const b = diff(book.view.bids, next.bids, true)
    const a = diff(book.view.asks, next.asks, false)
    if (b.length + a.length === 0) return // nothing changed: nothing is sent
    book.view = next
    book.u++
    seq += 1 + Math.floor(random() * 5)
    if (book.gap) {
      book.gap = false // made, never sent: subscribers' next u skips one
      return
    }
    const topic = `orderbook.${DEPTH}.${book.symbol}`
    publish(
      topic,
      b.length + a.length > SNAPSHOT_ABOVE_CHANGES
        ? snapshotOf(book, now)
        : bookMessage(book, 'delta', now, b, a)
    )
  }

  const timer = setInterval(() => {
    const now = Date.now()
    const due = pacer.due(now)
    if (pacer.paused) return
    const batches = new Map<
      string,
      { trade: Record<string, unknown>; made: Omit<SentTrade, 'connection'> }[]
    >()
    for (let i = 0; i < due; i++) {
      const { message } = generator.next(now)
      const book = books.get(message.symbol)
      if (!book) continue
      book.mid = priceTicks(message.price, book.priceScale)
      const id = String(nextTradeId++)
      seq += 1
      const trade = {
        T: now,
        s: message.symbol,
        S: message.side === 'buy' ? 'Buy' : 'Sell',
        v: message.amount,
        p: price(book, book.mid),
        i: id,
        BT: false,
        RPI: false,
        seq
      }
      const made = { symbol: message.symbol, id, price: trade.p, quantity: trade.v, side: message.side }
      record.make(made)
      const kept = recent.get(message.symbol) as RecentTrade[]
      kept.push({
        execId: id,
        symbol: message.symbol,
        price: trade.p,
        size: trade.v,
        side: trade.S as 'Buy' | 'Sell',
        time: String(now),
        isBlockTrade: false,
        isRPITrade: false,
        seq: String(seq)
      })
      if (kept.length > RECENT_TRADES_KEPT) kept.shift()
      const batch = batches.get(message.symbol) ?? []
      batch.push({ trade, made })
      batches.set(message.symbol, batch)
    }
    for (const [symbol, trades] of batches) {
      for (let i = 0; i < trades.length; i += MAX_TRADES_PER_MESSAGE) {
        const slice = trades.slice(i, i + MAX_TRADES_PER_MESSAGE)
        const data = slice.map((t) => t.trade)
        const text = JSON.stringify({ topic: `publicTrade.${symbol}`, type: 'snapshot', ts: now, data })
        publish(`publicTrade.${symbol}`, text, (client) => {
          for (const t of slice) record.sentOn(client.index, t.made)
        })
      }
    }
    for (const book of books.values()) pushBook(book, now)
  }, tickMs)

  const { wsBase, restUrl } = await sockets.listen(options.host, options.port)
  const bookOf = (symbol: string): SymbolBook => {
    const book = books.get(symbol)
    if (!book) throw new Error(`unknown symbol ${symbol}`)
    return book
  }
  return {
    url: `${wsBase}/v5/public/spot`,
    restUrl,
    book: (symbol, levels = 20) => {
      const book = bookOf(symbol)
      const top = (side: Map<bigint, string>, descending: boolean): PriceLevel[] =>
        sortedPrices(side, descending)
          .slice(0, levels)
          .map((p): PriceLevel => [price(book, p), side.get(p) as string])
      return { updateId: book.u, bids: top(book.view.bids, true), asks: top(book.view.asks, false) }
    },
    injectGap: (symbol) => {
      bookOf(symbol).gap = true
    },
    restartService: (symbol) => {
      const book = bookOf(symbol)
      book.u = 1
      book.view = viewOf(book)
      publish(`orderbook.${DEPTH}.${symbol}`, snapshotOf(book, Date.now()))
    },
    dropConnections: () => sockets.dropConnections(),
    disconnectFor: (ms) => sockets.disconnectFor(ms),
    pause: () => pacer.pause(),
    resume: () => pacer.resume(),
    requests: () => [...requestLog],
    connections: () => sockets.connections(),
    sentTrades: record.sent,
    madeTrades: record.made,
    close: () => {
      clearInterval(timer)
      return sockets.close()
    }
  }
}
