import type { WebSocket } from 'ws'
import { commonHooks } from '../kit/exchange-server.ts'
import { FailNext } from '../kit/http.ts'
import { ExchangeSockets, broadcast } from '../kit/sockets.ts'
import { TradePacer } from '../kit/trades.ts'
import { depthEvent, depthStreams, streamMessage, tradeEvent, tradeStream } from './frames.ts'
import { BinanceMarket } from './market.ts'
import { binanceRest, type BinanceRestState } from './rest.ts'
import type { BinanceServerOptions, RunningBinanceServer } from './types.ts'

export type { SentTrade } from '../kit/trades.ts'
export type { BinanceServerOptions, RunningBinanceServer } from './types.ts'

interface Client {
  index: number
  socket: WebSocket
  streams: Set<string>
}

/** The local Binance server (see types.ts): the market, its combined streams and REST, wired to one timer. */
export async function startBinanceServer(options: BinanceServerOptions): Promise<RunningBinanceServer> {
  const market = new BinanceMarket(options)
  const pacer = new TradePacer(options.tradesPerSecond)
  const rest: BinanceRestState = {
    snapshotFailures: new FailNext(),
    historyFailures: new FailNext(),
    snapshotLog: [],
    snapshotCounts: new Map(),
    historyLog: []
  }

  const send = (stream: string, data: unknown, onSent?: (client: Client) => void): void =>
    broadcast(sockets.clients, (client) => client.streams.has(stream), streamMessage(stream, data), onSent)

  const streamsOf = (url: URL) => (url.searchParams.get('streams') ?? '').split('/').filter(Boolean)
  const sockets = new ExchangeSockets<Client>({
    rest: binanceRest(market, rest, options.snapshotDelayMs ?? 0),
    route: (url) => (url.pathname !== '/stream' || streamsOf(url).length === 0 ? '400 Bad Request' : null),
    accept: (socket, index, url) => ({ index, socket, streams: new Set(streamsOf(url)) })
  })

  // Listening first: a port in use fails the start before any timer would keep the process alive.
  const { wsBase, restUrl } = await sockets.listen(options.host, options.port)
  const timer = setInterval(() => {
    const now = Date.now()
    const due = pacer.due(now)
    if (pacer.paused) return
    for (let i = 0; i < due; i++) {
      const made = market.trade(now)
      if (!made) continue
      send(tradeStream(made.book.symbol), tradeEvent(made.book, made.trade), (client) =>
        market.record.sentOn(client.index, made.made)
      )
    }
    for (const book of market.books.values()) {
      const change = market.depthTick(book)
      if (!change) continue
      const data = depthEvent(book, change, now)
      for (const stream of depthStreams(book.symbol)) send(stream, data)
    }
  }, options.depthEveryMs ?? 100)

  return {
    url: wsBase,
    restUrl,
    book: (symbol, levels = 20) => market.top(market.named(symbol), levels),
    injectGap: (symbol) => {
      const book = market.books.get(symbol)
      if (book) book.gap = true
    },
    ...commonHooks(sockets, pacer, [timer]),
    failHistory: (n, rateLimit) => rest.historyFailures.arm(n, { rateLimit }),
    historyRequests: () => [...rest.historyLog],
    madeTrades: market.record.made,
    snapshotLog: () => [...rest.snapshotLog],
    failSnapshots: (n, rateLimit) => rest.snapshotFailures.arm(n, { rateLimit }),
    snapshotRequests: (symbol) => rest.snapshotCounts.get(symbol) ?? 0,
    sentTrades: market.record.sent
  }
}
