import type { WebSocket } from 'ws'
import { commonHooks } from '../kit/exchange-server.ts'
import { FailNext } from '../kit/http.ts'
import { ExchangeSockets, sendIfOpen } from '../kit/sockets.ts'
import { TradePacer } from '../kit/trades.ts'
import {
  bookSnapshotEvents,
  bookUpdateEvents,
  envelope,
  errorMessage,
  heartbeatEvents,
  subscriptionsEvents,
  tradeEvents
} from './frames.ts'
import { CoinbaseMarket, type Product } from './market.ts'
import { applyRequest, isSubscribed, readRequest } from './requests.ts'
import { coinbaseRest } from './rest.ts'
import type { CoinbaseServerOptions, RunningCoinbaseServer, TradeHistoryRequest } from './types.ts'

export type { CoinbaseServerOptions, RunningCoinbaseServer, SentCoinbaseTrade } from './types.ts'

interface Client {
  index: number
  socket: WebSocket
  sequence: number
  subscriptions: Map<string, Set<string>>
  timeout: NodeJS.Timeout | null
}

/** The local Coinbase server (see types.ts): the market, its sockets and REST, wired to timers. */
export async function startCoinbaseServer(options: CoinbaseServerOptions): Promise<RunningCoinbaseServer> {
  const tickMs = options.tickMs ?? 100
  const batchMs = options.tradeBatchMs ?? 250
  const snapshotTrades = options.snapshotTrades ?? 50
  const startedAt = Date.now()
  const market = new CoinbaseMarket(options)
  const received: { connection: number; message: unknown }[] = []
  const historyLog: TradeHistoryRequest[] = []
  const pacer = new TradePacer(options.tradesPerSecond)
  const historyFailures = new FailNext<{ retryAfterS?: number }>()
  let heartbeatCounter = 1_000 + Math.floor(market.draw() * 10_000) // server-wide, not per connection
  let nanos = 0

  const send = (client: Client, channel: string, events: unknown[]): void => {
    if (client.socket.readyState !== client.socket.OPEN) return
    const message = envelope(channel, events, Date.now(), (nanos += 7919), client.sequence++)
    client.socket.send(JSON.stringify(message))
  }

  const onClientMessage = (client: Client, data: string): void => {
    let message: unknown
    try {
      message = JSON.parse(data)
    } catch {
      sendIfOpen(client.socket, errorMessage('Failed to parse message', 'malformed JSON'))
      return
    }
    received.push({ connection: client.index, message })
    const read = readRequest(message, (id) => market.products.has(id))
    if (!read.ok) {
      sendIfOpen(client.socket, errorMessage('Failed to subscribe', read.reason))
      return
    }
    if (client.timeout) clearTimeout(client.timeout)
    client.timeout = null
    applyRequest(client.subscriptions, read.request)
    send(client, 'subscriptions', subscriptionsEvents(client.subscriptions))
    if (read.request.type === 'unsubscribe') return
    for (const id of read.request.ids) {
      const product = market.products.get(id) as Product
      if (read.request.channel === 'level2') send(client, 'l2_data', bookSnapshotEvents(product))
      else if (read.request.channel === 'market_trades')
        send(
          client,
          'market_trades',
          tradeEvents('snapshot', product, product.history.slice(-snapshotTrades).reverse())
        )
    }
  }

  const sockets = new ExchangeSockets<Client>({
    rest: coinbaseRest(market, historyFailures, historyLog),
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

  const bookTick = (product: Product, at: number): void => {
    const change = market.bookTick(product, at)
    if (!change) return
    const events = bookUpdateEvents(product, change.bids, change.asks, change.time)
    for (const client of sockets.clients) {
      if (!isSubscribed(client.subscriptions, 'level2', product.symbol)) continue
      if (change.lost)
        client.sequence++ // the message is lost on its way: its number is never seen
      else send(client, 'l2_data', events)
    }
  }

  const flushTrades = (): void => {
    for (const product of market.products.values()) {
      if (product.pending.length === 0) continue
      const batch = market.takePending(product)
      for (const client of sockets.clients) {
        const open = client.socket.readyState === client.socket.OPEN
        if (!isSubscribed(client.subscriptions, 'market_trades', product.symbol) || !open) continue
        send(client, 'market_trades', tradeEvents('update', product, batch))
        for (const t of batch) t.sent.deliveredTo.push(client.index)
      }
    }
  }

  let lastFlush = Date.now()
  // Listening first: a port in use fails the start before any timer would keep the process alive.
  const { wsBase, restUrl } = await sockets.listen(options.host, options.port)
  const timer = setInterval(() => {
    const at = Date.now()
    const due = pacer.due(at)
    if (!pacer.paused) {
      for (let i = 0; i < due; i++) market.makeTrade(at)
      for (const product of market.products.values()) bookTick(product, at)
    }
    if (at - lastFlush >= batchMs) {
      lastFlush = at
      flushTrades()
    }
  }, tickMs)

  const heartbeats = setInterval(() => {
    heartbeatCounter++
    const at = Date.now()
    for (const client of sockets.clients)
      if (isSubscribed(client.subscriptions, 'heartbeats'))
        send(client, 'heartbeats', heartbeatEvents(at, startedAt, heartbeatCounter))
  }, options.heartbeatMs ?? 1_000)

  return {
    url: wsBase,
    restUrl,
    book: (symbol, levels = 20) => market.book(symbol, levels),
    injectGap: (symbol) => {
      market.named(symbol).gap = true
    },
    ...commonHooks(sockets, pacer, [timer, heartbeats]),
    failTradeHistory: (n, rateLimit) => historyFailures.arm(n, { retryAfterS: rateLimit?.retryAfterS }),
    tradeHistoryLog: () => [...historyLog],
    received,
    sentTrades: market.sentTrades
  }
}
