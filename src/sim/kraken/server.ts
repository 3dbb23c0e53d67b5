import type { WebSocket } from 'ws'
import { commonHooks } from '../kit/exchange-server.ts'
import { FailNext } from '../kit/http.ts'
import { ExchangeSockets, broadcast, sendIfOpen } from '../kit/sockets.ts'
import { TradePacer } from '../kit/trades.ts'
import { updateLevels } from './book-view.ts'
import { HEARTBEAT, bookMessage, checksum, levelsJson, statusMessage, tradeMessage } from './frames.ts'
import { KrakenMarket, type SymbolBook, type Trade } from './market.ts'
import { answerRequest, type Subscriber } from './requests.ts'
import { krakenRest } from './rest.ts'
import { rfc3339 } from './spelling.ts'
import type {
  KrakenHistoryFailure,
  KrakenHistoryRequest,
  KrakenServerOptions,
  RunningKrakenServer
} from './types.ts'

export type { KrakenSentTrade, KrakenServerOptions, RunningKrakenServer } from './types.ts'

interface Client extends Subscriber {
  index: number
  socket: WebSocket
  lastSent: number
  lastReceived: number
}

/** The local Kraken server (see types.ts): the market, its sockets and REST, wired to one timer. */
export async function startKrakenServer(options: KrakenServerOptions): Promise<RunningKrakenServer> {
  const tickMs = options.tickMs ?? 100
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000
  const market = new KrakenMarket(options)
  const pacer = new TradePacer(options.tradesPerSecond)
  let pings = 0
  const historyFailures = new FailNext<KrakenHistoryFailure>()
  const corrupt = new Set<string>()
  const subscriptions = new Map<string, number>()
  const historyLog: KrakenHistoryRequest[] = []
  const stamp = () => rfc3339(BigInt(Date.now()) * 1_000_000n)

  const send = (client: Client, text: string) => {
    if (!sendIfOpen(client.socket, text)) return false
    client.lastSent = Date.now()
    return true
  }
  const requestContext = {
    books: market.books,
    stamp,
    pinged: () => void pings++,
    bookSubscribed: (symbol: string) => void subscriptions.set(symbol, (subscriptions.get(symbol) ?? 0) + 1)
  }

  const sendTrades = (made: Map<string, Trade[]>) => {
    for (const [symbol, trades] of made) {
      const text = tradeMessage(market.books.get(symbol) as SymbolBook, 'update', trades)
      broadcast(
        sockets.clients,
        (client) => client.trades.has(symbol),
        text,
        (client) => {
          client.lastSent = Date.now()
          for (const t of trades) t.connections.push(client.index)
        }
      )
    }
  }

  const sendBook = (book: SymbolBook) => {
    const changes = market.changeBook(book)
    let subscribers = 0
    for (const client of sockets.clients) {
      const sub = client.books.get(book.symbol)
      if (!sub) continue
      subscribers++
      const out = updateLevels(book, sub, changes, corrupt.has(book.symbol))
      if (out) {
        const [bids, asks] = [levelsJson(book, out.bids), levelsJson(book, out.asks)]
        send(client, bookMessage(book, 'update', bids, asks, checksum(book, sub.view), stamp()))
      }
    }
    if (subscribers > 0) corrupt.delete(book.symbol) // sent (corrupted) to every subscriber once
  }

  const sockets = new ExchangeSockets<Client>({
    rest: krakenRest(market.books, historyFailures, historyLog),
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
        for (const text of answerRequest(client, data.toString(), requestContext)) send(client, text)
      })
      send(client, statusMessage(13834774380200032777n + BigInt(client.index))) // above 2^53, as Kraken's are
      return client
    }
  })

  // Listening first: a port in use fails the start before any timer would keep the process alive.
  const { wsBase, restUrl } = await sockets.listen(options.host, options.port)

  const timer = setInterval(() => {
    const now = Date.now()
    const due = pacer.due(now)
    if (!pacer.paused) {
      const made = new Map<string, Trade[]>()
      for (let i = 0; i < due; i++) {
        const t = market.trade(now)
        if (t) made.set(t.symbol, [...(made.get(t.symbol) ?? []), t])
      }
      sendTrades(made)
      for (const book of market.books.values()) sendBook(book)
    }
    for (const client of sockets.clients) {
      if (now - client.lastReceived > idleTimeoutMs) client.socket.terminate()
      else if (now - client.lastSent >= 1_000 && (client.trades.size > 0 || client.books.size > 0))
        send(client, HEARTBEAT)
    }
  }, tickMs)
  return {
    url: `${wsBase}/v2`,
    restUrl,
    book: (symbol, levels = 20) => market.book(symbol, levels),
    corruptNextBookUpdate: (symbol) => void corrupt.add(symbol),
    ...commonHooks(sockets, pacer, [timer], true),
    failTradeHistory: (n, how) => historyFailures.arm(n, how),
    historyRequests: () => [...historyLog],
    bookSubscriptions: (symbol) => subscriptions.get(symbol) ?? 0,
    pings: () => pings,
    sentTrades: market.sentTrades
  }
}
