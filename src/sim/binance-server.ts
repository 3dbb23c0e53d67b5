import type { IncomingMessage, ServerResponse } from 'node:http'
import type { WebSocket } from 'ws'
import type { PriceLevel } from '../core/messages.ts'
import { fixedDecimal, priceTicks, seedBook, sortedPrices } from './kit/book.ts'
import { FailNext, replyJson, retryAfterHeader } from './kit/http.ts'
import type { ExchangeServerOptions, RunningExchangeServer } from './kit/exchange-server.ts'
import { ExchangeSockets } from './kit/sockets.ts'
import { TradePacer, TradeRecord, type SentTrade } from './kit/trades.ts'
import { TradeGenerator, seededRandom, specFor } from './market.ts'

export type { SentTrade } from './kit/trades.ts'

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

const DECIMALS = 8 // Binance sends prices and quantities with 8 decimals: "0.00100000"

interface SymbolBook {
  symbol: string
  priceScale: number
  amountScale: number
  mid: bigint
  updateId: number
  bids: Map<bigint, string>
  asks: Map<bigint, string>
  gap: boolean
}

interface Client {
  index: number
  socket: WebSocket
  streams: Set<string>
}

type Reply = (status: number, body: unknown, headers?: Record<string, string>) => void

const format = (ticks: bigint, scale: number): string => fixedDecimal(ticks, scale, DECIMALS)

export async function startBinanceServer(options: BinanceServerOptions): Promise<RunningBinanceServer> {
  const depthEveryMs = options.depthEveryMs ?? 100
  const changes = options.changesPerUpdate ?? 3
  const random = seededRandom(options.seed)
  const generator = new TradeGenerator({
    exchange: 'binance',
    symbols: options.symbols,
    seed: options.seed,
    firstId: 1_000
  })
  const quantity = (book: SymbolBook): string =>
    format(BigInt(1 + Math.floor(random() * 10 ** Math.min(book.amountScale + 1, 8))), book.amountScale)
  const books = new Map<string, SymbolBook>()
  for (const [i, symbol] of options.symbols.entries()) {
    const spec = specFor(symbol, i)
    const book: SymbolBook = {
      symbol,
      priceScale: Math.min(spec.priceScale, DECIMALS),
      amountScale: Math.min(spec.amountScale, DECIMALS),
      mid: spec.priceTicks,
      updateId: 1_000_000 + Math.floor(random() * 1_000_000),
      bids: new Map(),
      asks: new Map(),
      gap: false
    }
    seedBook(book, options.bookLevels ?? 100, () => quantity(book))
    books.set(symbol, book)
  }

  const pacer = new TradePacer(options.tradesPerSecond)
  /** How a failing request fails: rate limited (429 + Retry-After), or 503 without a rate limit. */
  type Failure = { rateLimit: { retryAfterS: number } | undefined }
  const snapshotFailures = new FailNext<Failure>()
  const snapshotLog: { symbol: string; at: number; status: number }[] = []
  const snapshotCounts = new Map<string, number>()
  const record = new TradeRecord()
  const history = new Map<
    string,
    { id: number; price: string; qty: string; time: number; isBuyerMaker: boolean }[]
  >()
  for (const symbol of options.symbols) history.set(symbol, [])
  const historyFailures = new FailNext<Failure>()
  const historyLog: { fromId: string | null; status: number }[] = []

  const topOf = (book: SymbolBook, levels: number) => ({
    lastUpdateId: book.updateId,
    bids: sortedPrices(book.bids, true)
      .slice(0, levels)
      .map((p): PriceLevel => [format(p, book.priceScale), book.bids.get(p) as string]),
    asks: sortedPrices(book.asks, false)
      .slice(0, levels)
      .map((p): PriceLevel => [format(p, book.priceScale), book.asks.get(p) as string])
  })

  const send = (stream: string, data: unknown, onSent?: (client: Client) => void): void => {
    for (const client of sockets.clients) {
      if (!client.streams.has(stream) || client.socket.readyState !== client.socket.OPEN) continue
      client.socket.send(JSON.stringify({ stream, data }))
      onSent?.(client)
    }
  }

  const rest = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      replyJson(response, status, body, headers)
    if (request.method === 'GET' && url.pathname === '/api/v3/historicalTrades')
      return historicalTrades(url, reply)
    if (request.method !== 'GET' || url.pathname !== '/api/v3/depth')
      return reply(404, { code: -1000, msg: 'Unknown path.' })
    const symbol = url.searchParams.get('symbol') ?? ''
    const book = books.get(symbol)
    if (!book) return reply(400, { code: -1121, msg: 'Invalid symbol.' })
    snapshotCounts.set(symbol, (snapshotCounts.get(symbol) ?? 0) + 1)
    const failure = snapshotFailures.take()
    snapshotLog.push({ symbol, at: Date.now(), status: statusOf(failure) })
    if (failure) return fail(failure, reply)
    const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 100) || 100, 1), 5_000)
    const snapshot = topOf(book, limit) // taken now, answered after the delay: events keep flowing
    setTimeout(() => reply(200, snapshot), options.snapshotDelayMs ?? 0)
  }

  const historicalTrades = (url: URL, reply: Reply): void => {
    const fromId = url.searchParams.get('fromId')
    const trades = history.get(url.searchParams.get('symbol') ?? '')
    if (!trades) return reply(400, { code: -1121, msg: 'Invalid symbol.' })
    const failure = historyFailures.take()
    historyLog.push({ fromId, status: statusOf(failure) })
    if (failure) return fail(failure, reply)
    const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 500) || 500, 1), 1_000)
    const from =
      fromId === null ? Math.max(0, trades.length - limit) : trades.findIndex((t) => t.id >= Number(fromId))
    reply(
      200,
      from < 0
        ? []
        : trades.slice(from, from + limit).map((t) => ({ ...t, quoteQty: '0', isBestMatch: true }))
    )
  }

  const statusOf = (failure: Failure | null): number => (failure ? (failure.rateLimit ? 429 : 503) : 200)
  const fail = ({ rateLimit }: Failure, reply: Reply): void => {
    if (rateLimit)
      return reply(429, { code: -1003, msg: 'Too many requests.' }, retryAfterHeader(rateLimit.retryAfterS))
    reply(503, { code: -1001, msg: 'Internal error; unable to process your request. Please try again.' })
  }

  const streamsOf = (url: URL) => (url.searchParams.get('streams') ?? '').split('/').filter(Boolean)
  const sockets = new ExchangeSockets<Client>({
    rest,
    route: (url) => (url.pathname !== '/stream' || streamsOf(url).length === 0 ? '400 Bad Request' : null),
    accept: (socket, index, url) => ({ index, socket, streams: new Set(streamsOf(url)) })
  })

  /** One change: set a level near the mid to a new quantity, or delete it; one update id. */
  const change = (book: SymbolBook, event: { b: Map<bigint, string>; a: Map<bigint, string> }): void => {
    const bid = random() < 0.5
    const offset = BigInt(1 + Math.floor(random() * 40))
    const price = bid ? book.mid - offset : book.mid + offset
    if (price <= 0n) return
    const qty = random() < 0.25 ? format(0n, 0) : quantity(book)
    setLevel(book, bid ? 'bids' : 'asks', price, qty, event)
  }
  const setLevel = (
    book: SymbolBook,
    side: 'bids' | 'asks',
    price: bigint,
    qty: string,
    event: { b: Map<bigint, string>; a: Map<bigint, string> }
  ): void => {
    book.updateId++
    if (/^0\.?0*$/.test(qty)) book[side].delete(price)
    else book[side].set(price, qty)
    event[side === 'bids' ? 'b' : 'a'].set(price, qty)
  }

  const depthTick = (book: SymbolBook, now: number): void => {
    const U = book.updateId + 1
    const event = { b: new Map<bigint, string>(), a: new Map<bigint, string>() }
    // The mid moved with the trades: levels on the wrong side of it are gone (they traded).
    for (const price of [...book.bids.keys()])
      if (price >= book.mid) setLevel(book, 'bids', price, format(0n, 0), event)
    for (const price of [...book.asks.keys()])
      if (price <= book.mid) setLevel(book, 'asks', price, format(0n, 0), event)
    for (let i = 0; i < changes; i++) change(book, event)
    if (book.updateId < U) return // nothing changed: Binance sends nothing
    if (book.gap) {
      book.gap = false // applied here, never sent: the client's next event starts after a hole
      return
    }
    const levels = (side: Map<bigint, string>) =>
      [...side.entries()].map(([price, qty]) => [format(price, book.priceScale), qty])
    const data = {
      e: 'depthUpdate',
      E: now,
      s: book.symbol,
      U,
      u: book.updateId,
      b: levels(event.b),
      a: levels(event.a)
    }
    const lower = book.symbol.toLowerCase()
    send(`${lower}@depth@100ms`, data)
    send(`${lower}@depth`, data)
  }

  const timer = setInterval(() => {
    const now = Date.now()
    const due = pacer.due(now)
    if (pacer.paused) return
    for (let i = 0; i < due; i++) {
      const { message } = generator.next(now)
      const book = books.get(message.symbol)
      if (!book) continue
      book.mid = priceTicks(message.price, book.priceScale)
      const price = format(book.mid, book.priceScale)
      const qty = format(BigInt(message.amount.replace('.', '')), book.amountScale)
      const data = {
        e: 'trade',
        E: now,
        s: message.symbol,
        t: Number(message.id),
        p: price,
        q: qty,
        T: now,
        m: message.side === 'sell', // the buyer was the maker: the taker sold
        M: true
      }
      const made = { symbol: message.symbol, id: message.id, price, quantity: qty, side: message.side }
      record.make(made)
      history.get(message.symbol)?.push({ id: data.t, price, qty, time: now, isBuyerMaker: data.m })
      send(`${message.symbol.toLowerCase()}@trade`, data, (client) => record.sentOn(client.index, made))
    }
    for (const book of books.values()) depthTick(book, now)
  }, depthEveryMs)

  const { wsBase, restUrl } = await sockets.listen(options.host, options.port)
  return {
    url: wsBase,
    restUrl,
    book: (symbol, levels = 20) => {
      const book = books.get(symbol)
      if (!book) throw new Error(`unknown symbol ${symbol}`)
      return topOf(book, levels)
    },
    injectGap: (symbol) => {
      const book = books.get(symbol)
      if (book) book.gap = true
    },
    dropConnections: () => sockets.dropConnections(),
    disconnectFor: (ms) => sockets.disconnectFor(ms),
    failHistory: (n, rateLimit) => historyFailures.arm(n, { rateLimit }),
    historyRequests: () => [...historyLog],
    madeTrades: record.made,
    pause: () => pacer.pause(),
    resume: () => pacer.resume(),
    snapshotLog: () => [...snapshotLog],
    failSnapshots: (n, rateLimit) => snapshotFailures.arm(n, { rateLimit }),
    snapshotRequests: (symbol) => snapshotCounts.get(symbol) ?? 0,
    connections: () => sockets.connections(),
    sentTrades: record.sent,
    close: () => {
      clearInterval(timer)
      return sockets.close()
    }
  }
}
