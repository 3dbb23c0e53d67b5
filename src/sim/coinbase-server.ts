import type { IncomingMessage, ServerResponse } from 'node:http'
import type { WebSocket } from 'ws'
import type { PriceLevel, TradeSide } from '../core/messages.ts'
import { bestLevels, fixedDecimal, priceTicks, seedBook, sortedPrices, trimmedDecimal } from './kit/book.ts'
import type { ExchangeServerOptions, RunningExchangeServer } from './kit/exchange-server.ts'
import { FailNext, replyJson, retryAfterHeader } from './kit/http.ts'
import { ExchangeSockets } from './kit/sockets.ts'
import { TradePacer } from './kit/trades.ts'
import { TradeGenerator, seededRandom, specFor } from './market.ts'

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
  tradeHistoryLog(): { symbol: string; query: string; at: number; status: number }[]
  /** Every message a client sent, parsed (connection index and the message). */
  received: { connection: number; message: unknown }[]
  /** Every trade made, in order, including those made while no client was connected. */
  sentTrades: SentCoinbaseTrade[]
}

const MAX_SCALE = 8
const SNAPSHOT_EVENT_TIME = '1970-01-01T00:00:00Z'
const CHANNELS = new Set(['heartbeats', 'market_trades', 'level2'])
const KNOWN_ELSEWHERE = new Set([
  'candles',
  'status',
  'ticker',
  'ticker_batch',
  'user',
  'futures_balance_summary'
])

interface Product {
  symbol: string
  priceScale: number
  amountScale: number
  mid: bigint
  /** price ticks -> quantity ticks */
  bids: Map<bigint, bigint>
  asks: Map<bigint, bigint>
  gap: boolean
  /** Every trade, ascending id. */
  history: HistoryTrade[]
  /** Made since the last market_trades batch. */
  pending: HistoryTrade[]
}

interface HistoryTrade {
  id: bigint
  priceTicks: bigint
  sizeTicks: bigint
  makerSide: 'BUY' | 'SELL'
  time: string
  sent: SentCoinbaseTrade
}

interface Client {
  index: number
  socket: WebSocket
  sequence: number
  subscriptions: Map<string, Set<string>>
  timeout: NodeJS.Timeout | null
}

/** Ticks -> decimal text at `scale`, trailing zeros removed (the socket's spelling: "21921.3", "0.3", "5"). */
const socketDecimal = trimmedDecimal

/** Ticks -> decimal text with 8 decimals (the Exchange REST API's spelling: "6225.32000000"). */
const restDecimal = (ticks: bigint, scale: number): string => fixedDecimal(ticks, scale, MAX_SCALE)

/** RFC 3339 with nanoseconds, trailing zeros trimmed (Go's RFC3339Nano, as Coinbase's envelopes). */
function nanoTimestamp(ms: number, nanos: number): string {
  const iso = new Date(ms).toISOString() // 2023-02-09T20:32:50.714Z
  const fraction = `${iso.slice(20, 23)}${String(nanos % 1_000_000).padStart(6, '0')}`.replace(/0+$/, '')
  return `${iso.slice(0, 19)}${fraction ? `.${fraction}` : ''}Z`
}

/** Microsecond RFC 3339 ("2024-10-08T09:10:35.171517Z"), as trade times and event_time are spelled. */
function microTimestamp(ms: number, micros: number): string {
  const iso = new Date(ms).toISOString()
  return `${iso.slice(0, 23)}${String(micros % 1000).padStart(3, '0')}Z`
}

/** Go's time.Time String(), as `current_time` in heartbeats: "2023-06-23 20:31:56.121961769 +0000 UTC m=+91717.5". */
function goTime(ms: number, uptimeS: number): string {
  const iso = new Date(ms).toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000000 +0000 UTC m=+${uptimeS.toFixed(9)}`
}

export async function startCoinbaseServer(options: CoinbaseServerOptions): Promise<RunningCoinbaseServer> {
  const tickMs = options.tickMs ?? 100
  const batchMs = options.tradeBatchMs ?? 250
  const changes = options.changesPerUpdate ?? 3
  const snapshotTrades = options.snapshotTrades ?? 50
  const startedAt = Date.now()
  const random = seededRandom(options.seed)
  const generator = new TradeGenerator({
    exchange: 'coinbase',
    symbols: options.symbols,
    seed: options.seed,
    firstId: options.firstTradeId ?? 500_000_000
  })
  const quantityTicks = (product: Product): bigint =>
    BigInt(1 + Math.floor(random() * 10 ** Math.min(product.amountScale + 1, MAX_SCALE)))

  const products = new Map<string, Product>()
  for (const [i, symbol] of options.symbols.entries()) {
    const spec = specFor(symbol, i)
    const product: Product = {
      symbol,
      priceScale: Math.min(spec.priceScale, MAX_SCALE),
      amountScale: Math.min(spec.amountScale, MAX_SCALE),
      mid: spec.priceTicks,
      bids: new Map(),
      asks: new Map(),
      gap: false,
      history: [],
      pending: []
    }
    seedBook(product, options.bookLevels ?? 100, () => quantityTicks(product))
    products.set(symbol, product)
  }

  const received: { connection: number; message: unknown }[] = []
  const sentTrades: SentCoinbaseTrade[] = []
  const historyLog: { symbol: string; query: string; at: number; status: number }[] = []
  const pacer = new TradePacer(options.tradesPerSecond)
  const historyFailures = new FailNext<{ retryAfterS?: number }>()
  let heartbeatCounter = 1_000 + Math.floor(random() * 10_000) // server-wide, not per connection
  let nanos = 0

  const now = () => Date.now()
  const frame = (client: Client, channel: string, events: unknown[]) => ({
    channel,
    client_id: '',
    timestamp: nanoTimestamp(now(), (nanos += 7919)),
    sequence_num: client.sequence++,
    events
  })
  const send = (client: Client, channel: string, events: unknown[]): void => {
    if (client.socket.readyState !== client.socket.OPEN) return
    client.socket.send(JSON.stringify(frame(client, channel, events)))
  }
  const subscribed = (client: Client, channel: string, symbol?: string): boolean => {
    const set = client.subscriptions.get(channel)
    return set !== undefined && (symbol === undefined || set.has(symbol))
  }

  const bookUpdates = (product: Product, side: 'bid' | 'offer', prices: Map<bigint, bigint>, time: string) =>
    [...prices].map(([price, qty]) => ({
      side,
      event_time: time,
      price_level: socketDecimal(price, product.priceScale),
      new_quantity: socketDecimal(qty, product.amountScale)
    }))

  const sendBookSnapshot = (client: Client, product: Product): void => {
    const levels = (side: Map<bigint, bigint>, descending: boolean) => bestLevels(side, descending, side.size)
    send(client, 'l2_data', [
      {
        type: 'snapshot',
        product_id: product.symbol,
        updates: [
          ...bookUpdates(product, 'bid', levels(product.bids, true), SNAPSHOT_EVENT_TIME),
          ...bookUpdates(product, 'offer', levels(product.asks, false), SNAPSHOT_EVENT_TIME)
        ]
      }
    ])
  }

  const tradeObject = (product: Product, trade: HistoryTrade) => ({
    trade_id: String(trade.id),
    product_id: product.symbol,
    price: socketDecimal(trade.priceTicks, product.priceScale),
    size: socketDecimal(trade.sizeTicks, product.amountScale),
    side: trade.makerSide,
    time: trade.time
  })

  const sendTradesSnapshot = (client: Client, product: Product): void => {
    const recent = product.history.slice(-snapshotTrades).reverse()
    send(client, 'market_trades', [{ type: 'snapshot', trades: recent.map((t) => tradeObject(product, t)) }])
  }

  const sendSubscriptions = (client: Client): void => {
    const subscriptions = Object.fromEntries(
      [...client.subscriptions].map(([channel, set]) => [channel, [...set]])
    )
    send(client, 'subscriptions', [{ subscriptions }])
  }

  const sendError = (client: Client, message: string, reason: string): void => {
    if (client.socket.readyState === client.socket.OPEN)
      client.socket.send(JSON.stringify({ type: 'error', message, reason }))
  }

  const onClientMessage = (client: Client, data: string): void => {
    let message: unknown
    try {
      message = JSON.parse(data)
    } catch {
      return sendError(client, 'Failed to parse message', 'malformed JSON')
    }
    received.push({ connection: client.index, message })
    const m = (typeof message === 'object' && message !== null ? message : {}) as Record<string, unknown>
    if (m.type !== 'subscribe' && m.type !== 'unsubscribe')
      return sendError(client, 'Failed to subscribe', `unknown type ${JSON.stringify(m.type)}`)
    if (m.channels !== undefined || typeof m.channel !== 'string')
      return sendError(client, 'Failed to subscribe', 'one channel per subscription message')
    const channel = m.channel
    if (!CHANNELS.has(channel))
      return sendError(
        client,
        'Failed to subscribe',
        KNOWN_ELSEWHERE.has(channel)
          ? `${channel} is not served by this local server`
          : `unknown channel ${channel}`
      )
    const ids = m.product_ids === undefined ? [] : m.product_ids
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string'))
      return sendError(client, 'Failed to subscribe', 'product_ids must be an array of strings')
    const unknown = (ids as string[]).filter((id) => !products.has(id))
    if (unknown.length > 0)
      return sendError(client, 'Failed to subscribe', `unknown product(s) ${unknown.join(',')}`)
    if (channel !== 'heartbeats' && ids.length === 0 && m.type === 'subscribe')
      return sendError(client, 'Failed to subscribe', `${channel} needs product_ids`)

    if (client.timeout) clearTimeout(client.timeout)
    client.timeout = null
    if (m.type === 'unsubscribe') {
      const set = client.subscriptions.get(channel)
      if (set && ids.length > 0) for (const id of ids as string[]) set.delete(id)
      if (set && (ids.length === 0 || set.size === 0)) client.subscriptions.delete(channel)
      return sendSubscriptions(client)
    }
    const set = client.subscriptions.get(channel) ?? new Set<string>()
    for (const id of ids as string[]) set.add(id)
    client.subscriptions.set(channel, set)
    sendSubscriptions(client)
    for (const id of ids as string[]) {
      const product = products.get(id) as Product
      if (channel === 'level2') sendBookSnapshot(client, product)
      else if (channel === 'market_trades') sendTradesSnapshot(client, product)
    }
  }

  const rest = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      replyJson(response, status, body, { 'content-type': 'application/json; charset=utf-8', ...headers })
    const match = /^\/products\/([^/]+)\/trades$/.exec(url.pathname)
    if (request.method !== 'GET' || !match) return reply(404, { message: 'NotFound' })
    const symbol = decodeURIComponent(match[1] as string)
    const log = (status: number) => historyLog.push({ symbol, query: url.search, at: now(), status })
    const product = products.get(symbol)
    if (!product) {
      log(404)
      return reply(404, { message: 'NotFound' })
    }
    const failure = historyFailures.take()
    if (failure) {
      log(429)
      return reply(429, { message: 'Public rate limit exceeded' }, retryAfterHeader(failure.retryAfterS))
    }
    const limitText = url.searchParams.get('limit') ?? '1000'
    const limit = /^\d{1,4}$/.test(limitText) ? Number(limitText) : Number.NaN
    const cursor = (name: string): bigint | null | undefined => {
      const value = url.searchParams.get(name)
      return value === null ? null : /^\d{1,30}$/.test(value) ? BigInt(value) : undefined
    }
    const after = cursor('after')
    const before = cursor('before')
    if (!(limit >= 1 && limit <= 1000) || after === undefined || before === undefined) {
      log(400)
      return reply(400, { message: 'Invalid limit or cursor' })
    }
    let page: HistoryTrade[]
    if (after !== null) {
      const older = product.history.filter((t) => t.id < after)
      page = older.slice(-limit) // the adjacent older page
    } else if (before !== null) {
      page = product.history.filter((t) => t.id > before).slice(0, limit) // the adjacent newer page (⚠ inferred)
    } else page = product.history.slice(-limit)
    page = [...page].reverse() // newest first
    const headers: Record<string, string> = {}
    if (page.length > 0) {
      headers['cb-before'] = String((page[0] as HistoryTrade).id)
      headers['cb-after'] = String((page[page.length - 1] as HistoryTrade).id)
    }
    log(200)
    reply(
      200,
      page.map((t) => ({
        time: t.time,
        trade_id: Number(t.id),
        price: restDecimal(t.priceTicks, product.priceScale),
        size: restDecimal(t.sizeTicks, product.amountScale),
        side: t.makerSide.toLowerCase()
      })),
      headers
    )
  }

  const sockets = new ExchangeSockets<Client>({
    rest,
    route: (url) => (url.pathname === '/' ? null : '404 Not Found'),
    accept: (socket, index) => {
      const client: Client = { index, socket, sequence: 0, subscriptions: new Map(), timeout: null }
      client.timeout = setTimeout(
        () => socket.close(1008, 'no subscribe within 5 seconds'),
        options.subscribeTimeoutMs ?? 5_000
      )
      socket.on('message', (data) => onClientMessage(client, data.toString()))
      const gone = () => {
        if (client.timeout) clearTimeout(client.timeout)
      }
      socket.on('close', gone)
      socket.on('error', gone)
      return client
    }
  })

  /** One change: a level near the mid set to a new quantity, or deleted. */
  const change = (product: Product, bids: Map<bigint, bigint>, asks: Map<bigint, bigint>): void => {
    const bid = random() < 0.5
    const offset = BigInt(1 + Math.floor(random() * 40))
    const price = bid ? product.mid - offset : product.mid + offset
    if (price <= 0n) return
    setLevel(product, bid, price, random() < 0.25 ? 0n : quantityTicks(product), bid ? bids : asks)
  }
  const setLevel = (
    product: Product,
    bid: boolean,
    price: bigint,
    qty: bigint,
    changed: Map<bigint, bigint>
  ) => {
    const side = bid ? product.bids : product.asks
    if (qty === 0n) side.delete(price)
    else side.set(price, qty)
    changed.set(price, qty)
  }

  const bookTick = (product: Product, at: number): void => {
    const bids = new Map<bigint, bigint>()
    const asks = new Map<bigint, bigint>()
    // The mid moved with the trades: levels on the wrong side of it are gone (they traded).
    for (const price of [...product.bids.keys()])
      if (price >= product.mid) setLevel(product, true, price, 0n, bids)
    for (const price of [...product.asks.keys()])
      if (price <= product.mid) setLevel(product, false, price, 0n, asks)
    for (let i = 0; i < changes; i++) change(product, bids, asks)
    if (bids.size === 0 && asks.size === 0) return
    const time = microTimestamp(at, Math.floor(random() * 1000))
    const updates = [...bookUpdates(product, 'bid', bids, time), ...bookUpdates(product, 'offer', asks, time)]
    const lose = product.gap
    product.gap = false
    for (const client of sockets.clients) {
      if (!subscribed(client, 'level2', product.symbol)) continue
      if (lose)
        client.sequence++ // the message is lost on its way: its number is never seen
      else send(client, 'l2_data', [{ type: 'update', product_id: product.symbol, updates }])
    }
  }

  const makeTrade = (at: number): void => {
    const { message } = generator.next(at)
    const product = products.get(message.symbol)
    if (!product) return
    product.mid = priceTicks(message.price, product.priceScale)
    const sizeTicks = BigInt(message.amount.replace('.', ''))
    const id = BigInt(message.id)
    const sent: SentCoinbaseTrade = {
      symbol: product.symbol,
      id: message.id,
      price: socketDecimal(product.mid, product.priceScale),
      quantity: socketDecimal(sizeTicks, product.amountScale),
      restPrice: restDecimal(product.mid, product.priceScale),
      restQuantity: restDecimal(sizeTicks, product.amountScale),
      side: message.side,
      ts: at,
      deliveredTo: []
    }
    const trade: HistoryTrade = {
      id,
      priceTicks: product.mid,
      sizeTicks,
      makerSide: message.side === 'buy' ? 'SELL' : 'BUY', // the taker bought from a resting sell
      time: microTimestamp(at, Number(id % 1000n)),
      sent
    }
    product.history.push(trade)
    product.pending.push(trade)
    sentTrades.push(sent)
  }

  const flushTrades = (): void => {
    for (const product of products.values()) {
      if (product.pending.length === 0) continue
      const batch = product.pending.reverse() // newest first
      product.pending = []
      for (const client of sockets.clients) {
        if (
          !subscribed(client, 'market_trades', product.symbol) ||
          client.socket.readyState !== client.socket.OPEN
        )
          continue
        send(client, 'market_trades', [{ type: 'update', trades: batch.map((t) => tradeObject(product, t)) }])
        for (const t of batch) t.sent.deliveredTo.push(client.index)
      }
    }
  }

  let lastFlush = now()
  const timer = setInterval(() => {
    const at = now()
    const due = pacer.due(at)
    if (!pacer.paused) {
      for (let i = 0; i < due; i++) makeTrade(at)
      for (const product of products.values()) bookTick(product, at)
    }
    if (at - lastFlush >= batchMs) {
      lastFlush = at
      flushTrades()
    }
  }, tickMs)

  const heartbeats = setInterval(() => {
    heartbeatCounter++
    const at = now()
    for (const client of sockets.clients) {
      if (!subscribed(client, 'heartbeats')) continue
      send(client, 'heartbeats', [
        { current_time: goTime(at, (at - startedAt) / 1000), heartbeat_counter: String(heartbeatCounter) }
      ])
    }
  }, options.heartbeatMs ?? 1_000)

  const { wsBase, restUrl } = await sockets.listen(options.host, options.port)
  const productNamed = (symbol: string): Product => {
    const product = products.get(symbol)
    if (!product) throw new Error(`unknown product ${symbol}`)
    return product
  }
  return {
    url: wsBase,
    restUrl,
    book: (symbol, levels = 20) => {
      const product = productNamed(symbol)
      const side = (map: Map<bigint, bigint>, descending: boolean) =>
        sortedPrices(map, descending)
          .slice(0, levels)
          .map((p): PriceLevel => [
            socketDecimal(p, product.priceScale),
            socketDecimal(map.get(p) as bigint, product.amountScale)
          ])
      return { bids: side(product.bids, true), asks: side(product.asks, false) }
    },
    injectGap: (symbol) => {
      productNamed(symbol).gap = true
    },
    dropConnections: () => sockets.dropConnections(),
    disconnectFor: (ms) => sockets.disconnectFor(ms),
    pause: () => pacer.pause(),
    resume: () => pacer.resume(),
    failTradeHistory: (n, rateLimit) => historyFailures.arm(n, { retryAfterS: rateLimit?.retryAfterS }),
    tradeHistoryLog: () => [...historyLog],
    received,
    connections: () => sockets.connections(),
    sentTrades,
    close: () => {
      clearInterval(timer)
      clearInterval(heartbeats)
      return sockets.close()
    }
  }
}
