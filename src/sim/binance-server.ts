import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import type { PriceLevel, TradeSide } from '../core/messages.ts'
import { TradeGenerator, seededRandom, specFor, ticksToDecimal } from './market.ts'

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
export interface BinanceServerOptions {
  port?: number
  host?: string
  symbols: string[]
  seed: number
  /** Trades per second over all symbols. */
  tradesPerSecond: number
  /** Diff depth cadence (Binance: 100 or 1000 ms). */
  depthEveryMs?: number
  /** Level changes per depth event. */
  changesPerUpdate?: number
  /** Initial levels per side. */
  bookLevels?: number
  /** Delay between taking a REST snapshot and answering it (events keep flowing meanwhile). */
  snapshotDelayMs?: number
}

export interface SentTrade {
  connection: number
  symbol: string
  id: string
  price: string
  quantity: string
  side: TradeSide
}

export interface RunningBinanceServer {
  /** WebSocket base (append /stream?streams=...). */
  url: string
  /** REST base (append /api/v3/depth?...). */
  restUrl: string
  /** The server's current book of a symbol: best `levels` per side, as the REST snapshot would send it. */
  book(symbol: string, levels?: number): { lastUpdateId: number; bids: PriceLevel[]; asks: PriceLevel[] }
  /** The next depth event of `symbol` is applied but not sent: clients see a hole in the update ids. */
  injectGap(symbol: string): void
  /** Terminates every WebSocket connection (clients reconnect). */
  dropConnections(): void
  /** Terminates every connection and refuses new ones for `ms` while trading goes on (a gap to backfill). */
  disconnectFor(ms: number): void
  /** The next `n` trade-history requests fail with HTTP 503, or 429 with a Retry-After (rate limited). */
  failHistory(n: number, rateLimit?: { retryAfterS: number }): void
  /** Trade-history requests served so far (any status). */
  historyRequests(): { fromId: string | null; status: number }[]
  /** Every trade made, connected clients or not (what the trade history serves). */
  madeTrades: SentTrade[]
  /** Stops (and resumes) trades and book changes, so a client can catch up with a still book. */
  pause(): void
  resume(): void
  /** The next `n` snapshot requests fail with HTTP 503, or 429 with a Retry-After (rate limited). */
  failSnapshots(n: number, rateLimit?: { retryAfterS: number }): void
  /** Every snapshot request: symbol, arrival time (epoch ms) and the status answered. */
  snapshotLog(): { symbol: string; at: number; status: number }[]
  /** REST snapshot requests served so far, per symbol (uppercase). */
  snapshotRequests(symbol: string): number
  /** WebSocket connections accepted so far (the index of each SentTrade's connection). */
  connections(): number
  /** Every trade sent, with the connection it went to. */
  sentTrades: SentTrade[]
  close(): Promise<void>
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

function format(ticks: bigint, scale: number): string {
  return ticksToDecimal(ticks * 10n ** BigInt(DECIMALS - scale), DECIMALS)
}

function sorted(side: Map<bigint, string>, descending: boolean): bigint[] {
  return [...side.keys()].sort((a, b) => (a === b ? 0 : a < b !== descending ? -1 : 1))
}

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
    for (let level = 1n; level <= BigInt(options.bookLevels ?? 100); level++) {
      if (book.mid - level > 0n) book.bids.set(book.mid - level, quantity(book))
      book.asks.set(book.mid + level, quantity(book))
    }
    books.set(symbol, book)
  }

  const clients = new Set<Client>()
  let connections = 0
  let paused = false
  let failing = 0
  let rateLimited: { retryAfterS: number } | undefined
  const snapshotLog: { symbol: string; at: number; status: number }[] = []
  const snapshotCounts = new Map<string, number>()
  const sentTrades: SentTrade[] = []
  const madeTrades: SentTrade[] = []
  const history = new Map<
    string,
    { id: number; price: string; qty: string; time: number; isBuyerMaker: boolean }[]
  >()
  for (const symbol of options.symbols) history.set(symbol, [])
  let refuseUntil = 0
  let historyFailing = 0
  let historyRateLimited: { retryAfterS: number } | undefined
  const historyLog: { fromId: string | null; status: number }[] = []

  const topOf = (book: SymbolBook, levels: number) => ({
    lastUpdateId: book.updateId,
    bids: sorted(book.bids, true)
      .slice(0, levels)
      .map((p): PriceLevel => [format(p, book.priceScale), book.bids.get(p) as string]),
    asks: sorted(book.asks, false)
      .slice(0, levels)
      .map((p): PriceLevel => [format(p, book.priceScale), book.asks.get(p) as string])
  })

  const send = (stream: string, data: unknown, onSent?: (client: Client) => void): void => {
    for (const client of clients) {
      if (!client.streams.has(stream) || client.socket.readyState !== client.socket.OPEN) continue
      client.socket.send(JSON.stringify({ stream, data }))
      onSent?.(client)
    }
  }

  const rest = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers })
      response.end(JSON.stringify(body))
    }
    if (request.method === 'GET' && url.pathname === '/api/v3/historicalTrades')
      return historicalTrades(url, reply)
    if (request.method !== 'GET' || url.pathname !== '/api/v3/depth')
      return reply(404, { code: -1000, msg: 'Unknown path.' })
    const symbol = url.searchParams.get('symbol') ?? ''
    const book = books.get(symbol)
    if (!book) return reply(400, { code: -1121, msg: 'Invalid symbol.' })
    snapshotCounts.set(symbol, (snapshotCounts.get(symbol) ?? 0) + 1)
    const status = failing > 0 ? (rateLimited ? 429 : 503) : 200
    snapshotLog.push({ symbol, at: Date.now(), status })
    if (failing > 0) {
      failing--
      if (rateLimited) {
        const retryAfter = String(rateLimited.retryAfterS)
        return reply(429, { code: -1003, msg: 'Too many requests.' }, { 'retry-after': retryAfter })
      }
      return reply(503, {
        code: -1001,
        msg: 'Internal error; unable to process your request. Please try again.'
      })
    }
    const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 100) || 100, 1), 5_000)
    const snapshot = topOf(book, limit) // taken now, answered after the delay: events keep flowing
    setTimeout(() => reply(200, snapshot), options.snapshotDelayMs ?? 0)
  }

  const historicalTrades = (
    url: URL,
    reply: (status: number, body: unknown, headers?: Record<string, string>) => void
  ): void => {
    const fromId = url.searchParams.get('fromId')
    const trades = history.get(url.searchParams.get('symbol') ?? '')
    if (!trades) return reply(400, { code: -1121, msg: 'Invalid symbol.' })
    if (historyFailing > 0) {
      historyFailing--
      const status = historyRateLimited ? 429 : 503
      historyLog.push({ fromId, status })
      if (historyRateLimited)
        return reply(
          429,
          { code: -1003, msg: 'Too many requests.' },
          { 'retry-after': String(historyRateLimited.retryAfterS) }
        )
      return reply(503, {
        code: -1001,
        msg: 'Internal error; unable to process your request. Please try again.'
      })
    }
    historyLog.push({ fromId, status: 200 })
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

  const server = createServer(rest)
  const wss = new WebSocketServer({ noServer: true })
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const streams = (url.searchParams.get('streams') ?? '').split('/').filter(Boolean)
    if (url.pathname !== '/stream' || streams.length === 0) {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')
      return
    }
    if (Date.now() < refuseUntil) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\n\r\n')
      return
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const client: Client = { index: connections++, socket: ws, streams: new Set(streams) }
      clients.add(client)
      ws.on('close', () => clients.delete(client))
      ws.on('error', () => clients.delete(client))
    })
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

  let due = 0
  let last = Date.now()
  const timer = setInterval(() => {
    const now = Date.now()
    const elapsed = now - last
    last = now
    if (paused) return
    for (due += (options.tradesPerSecond * elapsed) / 1000; due >= 1; due--) {
      const { message } = generator.next(now)
      const book = books.get(message.symbol)
      if (!book) continue
      const [integer = '0', fraction = ''] = message.price.split('.')
      book.mid = BigInt(integer + fraction.padEnd(book.priceScale, '0').slice(0, book.priceScale))
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
      const made = {
        connection: -1,
        symbol: message.symbol,
        id: message.id,
        price,
        quantity: qty,
        side: message.side
      }
      madeTrades.push(made)
      history.get(message.symbol)?.push({ id: data.t, price, qty, time: now, isBuyerMaker: data.m })
      send(`${message.symbol.toLowerCase()}@trade`, data, (client) =>
        sentTrades.push({
          connection: client.index,
          symbol: message.symbol,
          id: message.id,
          price,
          quantity: qty,
          side: message.side
        })
      )
    }
    for (const book of books.values()) depthTick(book, now)
  }, depthEveryMs)

  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `ws://${host}:${port}`,
    restUrl: `http://${host}:${port}`,
    book: (symbol, levels = 20) => {
      const book = books.get(symbol)
      if (!book) throw new Error(`unknown symbol ${symbol}`)
      return topOf(book, levels)
    },
    injectGap: (symbol) => {
      const book = books.get(symbol)
      if (book) book.gap = true
    },
    dropConnections: () => {
      for (const client of clients) client.socket.terminate()
    },
    disconnectFor: (ms) => {
      refuseUntil = Date.now() + ms
      for (const client of clients) client.socket.terminate()
    },
    failHistory: (n, rateLimit) => {
      historyRateLimited = rateLimit
      historyFailing = n
    },
    historyRequests: () => [...historyLog],
    madeTrades,
    pause: () => {
      paused = true
    },
    resume: () => {
      paused = false
      last = Date.now()
    },
    snapshotLog: () => [...snapshotLog],
    failSnapshots: (n, rateLimit) => {
      rateLimited = rateLimit
      failing = n
    },
    snapshotRequests: (symbol) => snapshotCounts.get(symbol) ?? 0,
    connections: () => connections,
    sentTrades,
    close: () =>
      new Promise((resolve) => {
        clearInterval(timer)
        for (const client of clients) client.socket.terminate()
        wss.close()
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
