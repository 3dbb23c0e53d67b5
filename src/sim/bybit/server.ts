import { randomBytes } from 'node:crypto'
import type { WebSocket } from 'ws'
import { commonHooks } from '../kit/exchange-server.ts'
import { ExchangeSockets, broadcast } from '../kit/sockets.ts'
import { TradePacer } from '../kit/trades.ts'
import { bookMessage, bookTopic, snapshotOf, tradeMessages, tradeTopic } from './frames.ts'
import { BybitMarket } from './market.ts'
import type { SymbolBook } from './view.ts'
import { answerRequest, parseRequest, unreadable, type Subscriber } from './requests.ts'
import { bybitRest } from './rest.ts'
import type { BybitClientRequest, BybitServerOptions, RunningBybitServer } from './types.ts'

export type { BybitClientRequest, BybitSentTrade, BybitServerOptions, RunningBybitServer } from './types.ts'

/** More changed levels than this in one push: a snapshot is sent instead of a delta (Bybit's SBE docs). */
const SNAPSHOT_ABOVE_CHANGES = 100

interface Client extends Subscriber {
  index: number
  socket: WebSocket
}

/** The local Bybit server (see types.ts): the market, its sockets and REST, wired to one timer. */
export async function startBybitServer(options: BybitServerOptions): Promise<RunningBybitServer> {
  const tickMs = options.tickMs ?? 20
  const market = new BybitMarket(options)
  const pacer = new TradePacer(options.tradesPerSecond)
  const requestLog: BybitClientRequest[] = []

  const publish = (topic: string, text: string, onSent?: (client: Client) => void): void =>
    broadcast(sockets.clients, (client) => client.topics.has(topic), text, onSent)

  const onRequest = (client: Client, text: string): void => {
    const request = parseRequest(text)
    if (!request) return client.socket.send(unreadable(client.connId))
    const { op, req_id: reqId, args } = request
    requestLog.push({ connection: client.index, op, reqId, args, at: Date.now() })
    for (const reply of answerRequest(client, request, market.books, Date.now(), market.seq))
      client.socket.send(reply)
  }

  const sockets = new ExchangeSockets<Client>({
    rest: bybitRest(market.recent),
    route: (url) => (url.pathname === '/v5/public/spot' ? null : '404 Not Found'),
    accept: (socket, index) => {
      const connId = `${randomBytes(10).toString('hex')}-${randomBytes(2).toString('hex')}`
      const client: Client = { index, connId, socket, topics: new Set() }
      socket.on('message', (data) => onRequest(client, data.toString()))
      return client
    }
  })

  /** The full book moved: send the topic's change as a delta (or a snapshot when it is large). */
  const pushBook = (book: SymbolBook, now: number): void => {
    const change = market.moveBook(book)
    if (!change) return
    const { b, a } = change
    publish(
      bookTopic(book.symbol),
      b.length + a.length > SNAPSHOT_ABOVE_CHANGES
        ? snapshotOf(book, now, market.seq)
        : bookMessage(book, 'delta', now, market.seq, b, a)
    )
  }

  // Listening first: a port in use fails the start before any timer would keep the process alive.
  const { wsBase, restUrl } = await sockets.listen(options.host, options.port)
  const timer = setInterval(() => {
    const now = Date.now()
    const due = pacer.due(now)
    if (pacer.paused) return
    for (const [symbol, trades] of market.trades(now, due))
      for (const { text, slice } of tradeMessages(symbol, now, trades))
        publish(tradeTopic(symbol), text, (client) => {
          for (const t of slice) market.record.sentOn(client.index, t.made)
        })
    for (const book of market.books.values()) pushBook(book, now)
  }, tickMs)

  return {
    url: `${wsBase}/v5/public/spot`,
    restUrl,
    book: (symbol, levels = 20) => market.book(symbol, levels),
    injectGap: (symbol) => {
      market.named(symbol).gap = true
    },
    restartService: (symbol) => {
      const book = market.restart(symbol)
      publish(bookTopic(symbol), snapshotOf(book, Date.now(), market.seq))
    },
    ...commonHooks(sockets, pacer, [timer]),
    requests: () => [...requestLog],
    sentTrades: market.record.sent,
    madeTrades: market.record.made
  }
}
