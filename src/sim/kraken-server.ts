import type { IncomingMessage, ServerResponse } from 'node:http'
import { crc32 } from 'node:zlib'
import type { WebSocket } from 'ws'
import type { PriceLevel, TradeSide } from '../core/messages.ts'
import { bestLevels, priceTicks, seedBook, sortedPrices } from './kit/book.ts'
import type { ExchangeServerOptions, RunningExchangeServer } from './kit/exchange-server.ts'
import { FailNext, replyJsonText, retryAfterHeader } from './kit/http.ts'
import { ExchangeSockets } from './kit/sockets.ts'
import { TradePacer } from './kit/trades.ts'
import { TradeGenerator, seededRandom, specFor, ticksToDecimal } from './market.ts'

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
  failTradeHistory(n: number, how: { retryAfterS: number } | { inBody: true }): void
  /** Every trade-history request: query and the HTTP status answered. */
  historyRequests(): {
    pair: string
    since: string | null
    count: string | null
    at: number
    status: number
  }[]
  /** `book` subscriptions accepted so far for a symbol (one per connection, plus one per resync). */
  bookSubscriptions(symbol: string): number
  /** Application-level pings received. */
  pings(): number
  /** Every trade made, including while no client was connected. */
  sentTrades: KrakenSentTrade[]
}

const QTY_DECIMALS = 8 // Kraken quantities: 8 decimals
const DEPTHS = new Set([10, 25, 100, 500, 1000])
/** REST pair names (altname, and the name the response is keyed by); others: the symbol without its slash. */
const REST_NAMES: Record<string, { altname: string; name: string }> = {
  'BTC/USD': { altname: 'XBTUSD', name: 'XXBTZUSD' },
  'ETH/USD': { altname: 'ETHUSD', name: 'XETHZUSD' },
  'DOGE/USD': { altname: 'XDGUSD', name: 'XDGUSD' }
}

type Side = Map<bigint, bigint> // price ticks -> quantity in 1e-8 units
interface Trade extends KrakenSentTrade {
  timeNs: bigint
  ordType: 'limit' | 'market'
}
interface SymbolBook {
  symbol: string
  priceScale: number
  mid: bigint
  bids: Side
  asks: Side
  trades: Trade[]
  lastTimeNs: bigint
}
interface BookSub {
  depth: number
  view: { bids: Side; asks: Side }
}
interface Client {
  index: number
  socket: WebSocket
  trades: Set<string>
  books: Map<string, BookSub>
  lastSent: number
  lastReceived: number
}
type Change = { side: 'bids' | 'asks'; price: bigint; qty: bigint } // qty 0: deleted

function rfc3339(timeNs: bigint): string {
  const iso = new Date(Number(timeNs / 1_000_000n)).toISOString() // …:36.925Z
  return `${iso.slice(0, 23)}${String((timeNs / 1_000n) % 1_000n).padStart(3, '0')}Z`
}

export async function startKrakenServer(options: KrakenServerOptions): Promise<RunningKrakenServer> {
  const tickMs = options.tickMs ?? 100
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000
  const random = seededRandom(options.seed)
  const generator = new TradeGenerator({
    exchange: 'kraken',
    symbols: options.symbols,
    seed: options.seed,
    firstId: 4_665_846
  })
  const randomQty = () => BigInt(1 + Math.floor(random() * 10 ** 9))
  const books = new Map<string, SymbolBook>()
  for (const [i, symbol] of options.symbols.entries()) {
    const spec = specFor(symbol, i)
    const book: SymbolBook = {
      symbol,
      priceScale: spec.priceScale,
      mid: spec.priceTicks,
      bids: new Map(),
      asks: new Map(),
      trades: [],
      lastTimeNs: 0n
    }
    seedBook(book, options.bookLevels ?? 100, randomQty)
    books.set(symbol, book)
  }
  const price = (book: SymbolBook, ticks: bigint) => ticksToDecimal(ticks, book.priceScale)
  const qty = (units: bigint) => ticksToDecimal(units, QTY_DECIMALS)
  /** The checksum, computed here from the text this server writes (independently of any client code). */
  const checksum = (book: SymbolBook, view: { bids: Side; asks: Side }): number => {
    const digits = (t: string) => t.replace('.', '').replace(/^0+/, '')
    let text = ''
    for (const [side, descending] of [
      [view.asks, false],
      [view.bids, true]
    ] as const)
      for (const p of sortedPrices(side, descending).slice(0, 10))
        text += digits(price(book, p)) + digits(qty(side.get(p) as bigint))
    return crc32(text) >>> 0
  }
  const levelsJson = (book: SymbolBook, levels: [bigint, bigint][]) =>
    `[${levels.map(([p, q]) => `{"price":${price(book, p)},"qty":${qty(q)}}`).join(',')}]`

  const pacer = new TradePacer(options.tradesPerSecond)
  let pings = 0
  const historyFailures = new FailNext<{ retryAfterS: number } | { inBody: true }>()
  const corrupt = new Set<string>()
  const subscriptions = new Map<string, number>()
  const historyLog: ReturnType<RunningKrakenServer['historyRequests']> = []
  const sentTrades: KrakenSentTrade[] = []

  const send = (client: Client, text: string) => {
    if (client.socket.readyState !== client.socket.OPEN) return false
    client.socket.send(text)
    client.lastSent = Date.now()
    return true
  }
  const stamp = () => rfc3339(BigInt(Date.now()) * 1_000_000n)

  const bookMessage = (
    book: SymbolBook,
    type: 'snapshot' | 'update',
    bids: string,
    asks: string,
    sum: number
  ) =>
    `{"channel":"book","type":"${type}","data":[{"symbol":"${book.symbol}","bids":${bids},"asks":${asks},"checksum":${sum},"timestamp":"${stamp()}"}]}`

  const subscribeBook = (client: Client, book: SymbolBook, depth: number) => {
    const view = { bids: bestLevels(book.bids, true, depth), asks: bestLevels(book.asks, false, depth) }
    client.books.set(book.symbol, { depth, view })
    subscriptions.set(book.symbol, (subscriptions.get(book.symbol) ?? 0) + 1)
    const bids = levelsJson(book, [...view.bids])
    const asks = levelsJson(book, [...view.asks])
    send(client, bookMessage(book, 'snapshot', bids, asks, checksum(book, view)))
  }

  const onRequest = (client: Client, text: string) => {
    const timeIn = stamp()
    let request: { method?: unknown; params?: Record<string, unknown>; req_id?: unknown }
    try {
      request = JSON.parse(text) as typeof request
    } catch {
      send(
        client,
        `{"error":"Malformed request","success":false,"time_in":"${timeIn}","time_out":"${stamp()}"}`
      )
      return
    }
    const reqId = Number.isSafeInteger(request.req_id) ? `,"req_id":${request.req_id as number}` : ''
    const times = () => `"time_in":"${timeIn}","time_out":"${stamp()}"${reqId}`
    if (request.method === 'ping') {
      pings++
      send(client, `{"method":"pong",${times()}}`)
      return
    }
    const method = request.method
    const params = request.params ?? {}
    const channel = params.channel
    if ((method !== 'subscribe' && method !== 'unsubscribe') || (channel !== 'trade' && channel !== 'book')) {
      send(client, `{"error":"Method or channel not supported","success":false,${times()}}`)
      return
    }
    const depth = channel === 'book' ? ((params.depth as number | undefined) ?? 10) : 0
    const symbols = Array.isArray(params.symbol) ? (params.symbol as unknown[]) : []
    for (const symbol of symbols) {
      const book = typeof symbol === 'string' ? books.get(symbol) : undefined
      const refuse = (error: string) =>
        send(
          client,
          `{"error":${JSON.stringify(error)},"method":"${method}","success":false,"symbol":${JSON.stringify(symbol)},${times()}}`
        )
      if (!book) {
        refuse(`Currency pair not supported ${String(symbol)}`)
        continue
      }
      if (channel === 'book' && !DEPTHS.has(depth)) {
        refuse(`Invalid depth ${depth}`)
        continue
      }
      const subscribed = channel === 'trade' ? client.trades.has(book.symbol) : client.books.has(book.symbol)
      if (method === 'subscribe' && subscribed) {
        refuse('Already subscribed')
        continue
      }
      if (method === 'unsubscribe' && !subscribed) {
        refuse('Subscription Not Found')
        continue
      }
      const result =
        channel === 'trade'
          ? `{"channel":"trade"${method === 'subscribe' ? `,"snapshot":${params.snapshot === true}` : ''},"symbol":"${book.symbol}"}`
          : `{"channel":"book","depth":${depth}${method === 'subscribe' ? ',"snapshot":true' : ''},"symbol":"${book.symbol}"}`
      send(client, `{"method":"${method}","result":${result},"success":true,${times()}}`)
      if (method === 'unsubscribe') {
        if (channel === 'trade') client.trades.delete(book.symbol)
        else client.books.delete(book.symbol)
      } else if (channel === 'book') subscribeBook(client, book, depth)
      else {
        client.trades.add(book.symbol)
        if (params.snapshot === true && book.trades.length > 0)
          send(client, tradeMessage(book, 'snapshot', book.trades.slice(-50)))
      }
    }
  }

  const tradeMessage = (book: SymbolBook, type: 'snapshot' | 'update', trades: Trade[]) =>
    `{"channel":"trade","type":"${type}","data":[${trades
      .map(
        (t) =>
          `{"symbol":"${book.symbol}","side":"${t.side}","price":${t.price},"qty":${t.quantity},"ord_type":"${t.ordType}","trade_id":${t.id},"timestamp":"${rfc3339(t.timeNs)}"}`
      )
      .join(',')}]}`

  /** One trade at the generator's price; the book's mid follows it. */
  const trade = (now: number): Trade | null => {
    const { message } = generator.next(now)
    const book = books.get(message.symbol)
    if (!book) return null
    book.mid = priceTicks(message.price, book.priceScale)
    const floor = BigInt(now) * 1_000_000n + BigInt(Math.floor(random() * 1000)) * 1_000n
    book.lastTimeNs = floor > book.lastTimeNs ? floor : book.lastTimeNs + 1_000n
    const [int = '0', frac = ''] = message.amount.split('.')
    const t: Trade = {
      symbol: book.symbol,
      id: message.id,
      price: price(book, book.mid),
      quantity: qty(BigInt(int + frac.padEnd(QTY_DECIMALS, '0'))),
      side: message.side,
      ts: Number(book.lastTimeNs / 1_000_000n),
      connections: [],
      timeNs: book.lastTimeNs,
      ordType: random() < 0.7 ? 'limit' : 'market'
    }
    book.trades.push(t)
    sentTrades.push(t)
    return t
  }

  /** This tick's level changes of one book, applied to it in order. */
  const changeBook = (book: SymbolBook): Change[] => {
    const changes: Change[] = []
    const set = (side: 'bids' | 'asks', p: bigint, q: bigint) => {
      if (q === 0n) book[side].delete(p)
      else book[side].set(p, q)
      changes.push({ side, price: p, qty: q })
    }
    // The mid moved with the trades: levels on the wrong side of it traded away.
    for (const p of [...book.bids.keys()]) if (p >= book.mid) set('bids', p, 0n)
    for (const p of [...book.asks.keys()]) if (p <= book.mid) set('asks', p, 0n)
    for (let i = 0; i < (options.changesPerTick ?? 4); i++) {
      const bid = random() < 0.5
      const p = bid
        ? book.mid - BigInt(1 + Math.floor(random() * 30))
        : book.mid + BigInt(1 + Math.floor(random() * 30))
      if (p <= 0n) continue
      const side = bid ? 'bids' : 'asks'
      set(side, p, random() < 0.25 && book[side].has(p) ? 0n : randomQty())
    }
    return changes
  }

  /** The update one subscriber gets for this tick's changes (null: nothing in its scope changed). */
  const updateFor = (book: SymbolBook, sub: BookSub, changes: Change[]): string | null => {
    const out = { bids: [] as [bigint, bigint][], asks: [] as [bigint, bigint][] }
    const next = {
      bids: bestLevels(book.bids, true, sub.depth),
      asks: bestLevels(book.asks, false, sub.depth)
    }
    const touched = { bids: new Set<bigint>(), asks: new Set<bigint>() }
    for (const c of changes) {
      if (!next[c.side].has(c.price) && !sub.view[c.side].has(c.price)) continue // out of scope
      out[c.side].push([c.price, c.qty])
      touched[c.side].add(c.price)
    }
    for (const side of ['bids', 'asks'] as const)
      for (const [p, q] of next[side])
        // a level moving into scope as another left it
        if (!sub.view[side].has(p) && !touched[side].has(p)) out[side].push([p, q])
    sub.view = next
    if (out.bids.length === 0 && out.asks.length === 0 && !corrupt.has(book.symbol)) return null
    if (corrupt.has(book.symbol)) {
      const [best] = sortedPrices(next.bids, true)
      if (best !== undefined) out.bids.push([best, (next.bids.get(best) as bigint) + 1n]) // not in the checksum
    }
    return bookMessage(
      book,
      'update',
      levelsJson(book, out.bids),
      levelsJson(book, out.asks),
      checksum(book, next)
    )
  }

  const timer = setInterval(() => {
    const now = Date.now()
    const due = pacer.due(now)
    if (!pacer.paused) {
      const made = new Map<string, Trade[]>()
      for (let i = 0; i < due; i++) {
        const t = trade(now)
        if (t) made.set(t.symbol, [...(made.get(t.symbol) ?? []), t])
      }
      for (const [symbol, trades] of made) {
        const text = tradeMessage(books.get(symbol) as SymbolBook, 'update', trades)
        for (const client of sockets.clients)
          if (client.trades.has(symbol) && send(client, text))
            for (const t of trades) t.connections.push(client.index)
      }
      for (const book of books.values()) {
        const changes = changeBook(book)
        let subscribers = 0
        for (const client of sockets.clients) {
          const sub = client.books.get(book.symbol)
          if (!sub) continue
          subscribers++
          const text = updateFor(book, sub, changes)
          if (text) send(client, text)
        }
        if (subscribers > 0) corrupt.delete(book.symbol) // sent (corrupted) to every subscriber once
      }
    }
    for (const client of sockets.clients) {
      if (now - client.lastReceived > idleTimeoutMs) client.socket.terminate()
      else if (now - client.lastSent >= 1_000 && (client.trades.size > 0 || client.books.size > 0))
        send(client, '{"channel":"heartbeat"}')
    }
  }, tickMs)

  const rest = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const reply = (status: number, body: string, headers: Record<string, string> = {}) =>
      replyJsonText(response, status, body, headers)
    if (request.method !== 'GET' || url.pathname !== '/0/public/Trades')
      return reply(404, '{"error":["EGeneral:Unknown method"]}')
    const pair = url.searchParams.get('pair') ?? ''
    const since = url.searchParams.get('since')
    const count = url.searchParams.get('count')
    const log = (status: number) => historyLog.push({ pair, since, count, at: Date.now(), status })
    const failure = historyFailures.take()
    if (failure) {
      const rateLimited = '{"error":["EGeneral:Too many requests"]}'
      if ('retryAfterS' in failure) {
        log(429)
        return reply(429, rateLimited, retryAfterHeader(failure.retryAfterS))
      }
      log(200)
      return reply(200, rateLimited)
    }
    log(200)
    const book = [...books.values()].find((b) => {
      const names = REST_NAMES[b.symbol] ?? {
        altname: b.symbol.replace('/', ''),
        name: b.symbol.replace('/', '')
      }
      return pair === names.altname || pair === names.name || pair === b.symbol
    })
    if (!book) return reply(200, '{"error":["EQuery:Unknown asset pair"]}')
    const limit = Math.min(Math.max(Number(count ?? 1000) || 1000, 1), 1000)
    // `since`: nanoseconds; a value of 10 digits or fewer is read as seconds, as Kraken's examples use.
    const sinceNs =
      since === null || !/^\d+$/.test(since)
        ? null
        : since.length <= 10
          ? BigInt(since) * 1_000_000_000n
          : BigInt(since)
    const rows =
      sinceNs === null
        ? book.trades.slice(-limit)
        : book.trades.filter((t) => t.timeNs > sinceNs).slice(0, limit)
    const lastNs = rows.at(-1)?.timeNs ?? sinceNs ?? 0n
    const key = REST_NAMES[book.symbol]?.name ?? book.symbol.replace('/', '')
    const body = rows
      .map(
        (t) =>
          `["${t.price}","${t.quantity}",${t.timeNs / 1_000_000_000n}.${String((t.timeNs / 1_000n) % 1_000_000n).padStart(6, '0')},"${t.side === 'buy' ? 'b' : 's'}","${t.ordType === 'market' ? 'm' : 'l'}","",${t.id}]`
      )
      .join(',')
    reply(200, `{"error":[],"result":{"${key}":[${body}],"last":"${lastNs}"}}`)
  }

  const sockets = new ExchangeSockets<Client>({
    rest,
    route: (url) => (url.pathname === '/v2' ? null : '404 Not Found'),
    accept: (socket, index) => {
      const now = Date.now()
      const client: Client = {
        index,
        socket,
        trades: new Set(),
        books: new Map(),
        lastSent: now,
        lastReceived: now
      }
      socket.on('message', (data) => {
        client.lastReceived = Date.now()
        onRequest(client, data.toString())
      })
      const connectionId = 13834774380200032777n + BigInt(client.index) // above 2^53, as Kraken's are
      send(
        client,
        `{"channel":"status","data":[{"api_version":"v2","connection_id":${connectionId},"system":"online","version":"2.0.0"}],"type":"update"}`
      )
      return client
    }
  })

  const { wsBase, restUrl } = await sockets.listen(options.host, options.port)
  return {
    url: `${wsBase}/v2`,
    restUrl,
    book: (symbol, levels = 20) => {
      const book = books.get(symbol)
      if (!book) throw new Error(`unknown symbol ${symbol}`)
      const side = (s: Side, descending: boolean) =>
        sortedPrices(s, descending)
          .slice(0, levels)
          .map((p): PriceLevel => [price(book, p), qty(s.get(p) as bigint)])
      return { bids: side(book.bids, true), asks: side(book.asks, false) }
    },
    corruptNextBookUpdate: (symbol) => void corrupt.add(symbol),
    dropConnections: () => sockets.dropConnections(),
    disconnectFor: (ms) => sockets.disconnectFor(ms),
    pause: () => pacer.pause(),
    resume: () => pacer.resume(true),
    failTradeHistory: (n, how) => historyFailures.arm(n, how),
    historyRequests: () => [...historyLog],
    bookSubscriptions: (symbol) => subscriptions.get(symbol) ?? 0,
    pings: () => pings,
    connections: () => sockets.connections(),
    sentTrades,
    close: () => {
      clearInterval(timer)
      return sockets.close()
    }
  }
}
