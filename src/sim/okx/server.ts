import { randomBytes } from 'node:crypto'
import type { WebSocket } from 'ws'
import { commonHooks } from '../kit/exchange-server.ts'
import { FailNext } from '../kit/http.ts'
import { ExchangeSockets, sendIfOpen } from '../kit/sockets.ts'
import { TradePacer } from '../kit/trades.ts'
import { booksSnapshot, booksUpdate, tradesPush } from './frames.ts'
import { OkxMarket } from './market.ts'
import { answerRequest, type Subscriber } from './requests.ts'
import { BOOKS, HISTORY, okxRest } from './rest.ts'
import type { OkxRequest, OkxRestRequest, OkxSentTrade, OkxServerOptions, RunningOkxServer } from './types.ts'

export type { OkxFill, OkxSentTrade, OkxServerOptions, RunningOkxServer } from './types.ts'

interface Client extends Subscriber {
  socket: WebSocket
  lastPushAt: number
  openedAt: number
}

/** The local OKX server (see types.ts): the market, its sockets and REST, wired to one timer. */
export async function startOkxServer(options: OkxServerOptions): Promise<RunningOkxServer> {
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000
  const market = new OkxMarket(options)
  const pacer = new TradePacer(options.tradesPerSecond)
  let idleDrops = 0
  let pongs = 0
  /** Rate limits armed per REST path (BOOKS, HISTORY). */
  const limits = new Map<string, FailNext<{ retryAfterS: number | undefined }>>([
    [BOOKS, new FailNext()],
    [HISTORY, new FailNext()]
  ])
  const restLog: OkxRestRequest[] = []
  const requestLog: OkxRequest[] = []
  const sentTrades: OkxSentTrade[] = []

  const push = (client: Client, message: unknown): boolean => {
    if (!sendIfOpen(client.socket, typeof message === 'string' ? message : JSON.stringify(message)))
      return false
    client.lastPushAt = Date.now()
    return true
  }
  const subscribers = (channel: string, instId: string) =>
    [...sockets.clients].filter((client) => client.subscriptions.has(`${channel}:${instId}`))

  const onRequest = (client: Client, text: string): void => {
    const answer = answerRequest(client, text, (instId) => market.has(instId))
    if ('pong' in answer) {
      pongs++
      push(client, 'pong')
      return
    }
    requestLog.push(...answer.args)
    for (const { message, snapshotOf } of answer.messages) {
      push(client, message)
      if (snapshotOf !== undefined && options.snapshotOnSubscribe !== false) {
        const book = market.named(snapshotOf)
        push(client, booksSnapshot(book, market.checksum(book), Date.now()))
      }
    }
  }

  const sockets = new ExchangeSockets<Client>({
    rest: okxRest(market, limits, restLog, options.restBookDelayMs ?? 0),
    route: (url) => (url.pathname === '/ws/v5/public' ? null : '404 Not Found'),
    accept: (socket, index) => {
      const now = Date.now()
      const connId = randomBytes(4).toString('hex')
      const client: Client = {
        index,
        connId,
        socket,
        subscriptions: new Set(),
        lastPushAt: now,
        openedAt: now
      }
      socket.on('message', (data) => onRequest(client, String(data)))
      return client
    }
  })

  // Listening first: a port in use fails the start before any timer would keep the process alive.
  const { wsBase, restUrl } = await sockets.listen(options.host, options.port)
  const timer = setInterval(() => {
    const now = Date.now()
    const due = pacer.due(now)
    for (const client of sockets.clients) {
      const idle = client.subscriptions.size === 0 ? now - client.openedAt : now - client.lastPushAt
      if (idle <= idleTimeoutMs) continue
      idleDrops++
      client.socket.terminate()
      sockets.clients.delete(client)
    }
    if (!pacer.paused) {
      for (let i = 0; i < due; i++) {
        const trade = market.trade(now)
        if (!trade) continue
        sentTrades.push(trade.sent)
        const message = tradesPush(trade.book, trade.sent)
        for (const client of subscribers('trades', trade.book.symbol))
          if (push(client, message)) trade.sent.connection = client.index
      }
    }
    for (const { instId, data } of market.tick(now, pacer.paused)) {
      const message = booksUpdate(instId, data)
      for (const client of subscribers('books', instId)) push(client, message)
    }
  }, options.depthEveryMs ?? 100)

  return {
    url: `${wsBase}/ws/v5/public`,
    restUrl,
    book: (symbol, levels) => market.book(symbol, levels),
    injectGap: (symbol) => market.injectGap(symbol),
    corruptNextBookUpdate: (symbol) => market.corruptNextUpdate(symbol),
    resetSequence: (symbol) => market.resetSequence(symbol),
    ...commonHooks(sockets, pacer, [timer]),
    rateLimitHistory: (n, retryAfterS) => limits.get(HISTORY)?.arm(n, { retryAfterS }),
    rateLimitBooks: (n, retryAfterS) => limits.get(BOOKS)?.arm(n, { retryAfterS }),
    restLog: () => [...restLog],
    requests: () => [...requestLog],
    idleDrops: () => idleDrops,
    pongs: () => pongs,
    keepAlives: () => market.keepAlives,
    sentTrades
  }
}
