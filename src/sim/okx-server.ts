import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { WebSocket } from 'ws'
import type { PriceLevel } from '../core/messages.ts'
import type { ExchangeServerOptions, RunningExchangeServer } from './kit/exchange-server.ts'
import { FailNext, replyJson, retryAfterHeader } from './kit/http.ts'
import { ExchangeSockets } from './kit/sockets.ts'
import { TradePacer } from './kit/trades.ts'
import { OkxMarket, type OkxMarketOptions, type OkxSentTrade } from './okx-market.ts'

export type { OkxFill, OkxSentTrade } from './okx-market.ts'

/**
 * A local OKX v5 public server, written from the protocol facts in docs/exchanges/okx.md (not from the
 * connector): one HTTP server with the WebSocket `/ws/v5/public` — `{"op":"subscribe","args":[…]}` acked per
 * arg (`{"event":"subscribe","arg":…,"connId":…}`), errors 60012/60018, `trades` and `books` pushes
 * (sim/okx-market.ts), the text `ping` answered `pong`, connections dropped after idleTimeoutMs without a
 * subscription or a push — and REST `/api/v5/market/books` and `/api/v5/market/history-trades` (429 with
 * code 50011 on demand). Trading goes on while clients are away (`disconnectFor`), so REST has what the
 * socket missed; while paused, keep-alive updates and pongs go on.
 */
export interface OkxServerOptions extends OkxMarketOptions, ExchangeServerOptions {
  /** Taker orders per second over all instruments. */
  tradesPerSecond: number
  /** `books` push cadence (OKX: 100 ms). */
  depthEveryMs?: number
  /** A books snapshot after each subscribe ack (OKX today); false = updates only, seed from REST. */
  snapshotOnSubscribe?: boolean
  /** Connections with no subscription or nothing pushed for this long are dropped (OKX: 30 s). */
  idleTimeoutMs?: number
  /** Delay before answering a REST book (taken at request time; pushes go on meanwhile). */
  restBookDelayMs?: number
}

export interface RunningOkxServer extends RunningExchangeServer {
  /** WebSocket URL (…/ws/v5/public). */
  url: string
  /** REST base (append /api/v5/market/…). */
  restUrl: string
  /** The server's book: best `levels` per side, as [price, size] text, and the last pushed seqId. */
  book(symbol: string, levels?: number): { seqId: number; bids: PriceLevel[]; asks: PriceLevel[] }
  /** The next books update of `symbol` is applied but not sent: the one after it does not follow. */
  injectGap(symbol: string): void
  /** The next books update of `symbol` carries a wrong size for the best bid (the checksum, if on, is right). */
  corruptNextBookUpdate(symbol: string): void
  /** The next books update of `symbol` restarts the sequence (seqId < prevSeqId), as after maintenance. */
  resetSequence(symbol: string): void
  /** The next `n` history-trades (or books) requests answer 429, code 50011, with Retry-After if given. */
  rateLimitHistory(n: number, retryAfterS?: number): void
  rateLimitBooks(n: number, retryAfterS?: number): void
  /** Every REST request: path, query, arrival time and status. */
  restLog(): { path: string; query: string; at: number; status: number }[]
  /** Every subscribe/unsubscribe arg received: connection, op, channel, instId. */
  requests(): { connection: number; op: string; channel: string; instId: string }[]
  /** Connections dropped for being idle (no subscription, or nothing pushed, for idleTimeoutMs). */
  idleDrops(): number
  /** Pings answered. */
  pongs(): number
  /** Empty keep-alive updates (prevSeqId == seqId) made. */
  keepAlives(): number
  /** Every taker order made, including while no one was connected. */
  sentTrades: OkxSentTrade[]
}

interface Client {
  index: number
  connId: string
  socket: WebSocket
  subscriptions: Set<string>
  lastPushAt: number
  openedAt: number
}

const BOOKS = '/api/v5/market/books'
const HISTORY = '/api/v5/market/history-trades'

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
  const restLog: { path: string; query: string; at: number; status: number }[] = []
  const requestLog: { connection: number; op: string; channel: string; instId: string }[] = []
  const sentTrades: OkxSentTrade[] = []

  const push = (client: Client, message: unknown): boolean => {
    if (client.socket.readyState !== client.socket.OPEN) return false
    client.socket.send(typeof message === 'string' ? message : JSON.stringify(message))
    client.lastPushAt = Date.now()
    return true
  }
  const subscribers = (channel: string, instId: string) =>
    [...sockets.clients].filter((client) => client.subscriptions.has(`${channel}:${instId}`))

  const onRequest = (client: Client, text: string): void => {
    if (text === 'ping') {
      pongs++
      push(client, 'pong')
      return
    }
    let request: { id?: unknown; op?: unknown; args?: unknown }
    try {
      request = JSON.parse(text) as typeof request
    } catch {
      request = {}
    }
    const id = typeof request.id === 'string' ? { id: request.id } : {}
    const op = request.op
    if ((op !== 'subscribe' && op !== 'unsubscribe') || !Array.isArray(request.args)) {
      const msg = `Invalid request: ${text}`
      push(client, { ...id, event: 'error', code: '60012', msg, connId: client.connId })
      return
    }
    for (const raw of request.args as { channel?: unknown; instId?: unknown }[]) {
      const channel = String(raw?.channel)
      const instId = String(raw?.instId)
      requestLog.push({ connection: client.index, op, channel, instId })
      if ((channel !== 'trades' && channel !== 'books') || !market.has(instId)) {
        const msg = `Wrong URL or channel:${channel},instId:${instId} doesn't exist. Please use the correct URL, channel and parameters referring to API document.`
        push(client, { ...id, event: 'error', code: '60018', msg, connId: client.connId })
        continue
      }
      if (op === 'subscribe') client.subscriptions.add(`${channel}:${instId}`)
      else client.subscriptions.delete(`${channel}:${instId}`)
      push(client, { ...id, event: op, arg: { channel, instId }, connId: client.connId })
      if (op === 'subscribe' && channel === 'books' && options.snapshotOnSubscribe !== false)
        push(client, market.snapshot(instId, Date.now()))
    }
  }

  const rest = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const log = { path: url.pathname, query: url.search, at: Date.now(), status: 200 }
    restLog.push(log)
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      log.status = status
      replyJson(response, status, body, headers)
    }
    const limited = limits.get(url.pathname)?.take()
    if (limited)
      return reply(
        429,
        { code: '50011', msg: 'Too Many Requests', data: [] },
        retryAfterHeader(limited.retryAfterS)
      )
    if (url.pathname !== BOOKS && url.pathname !== HISTORY)
      return reply(404, { code: '404', msg: 'Not Found', data: [] })
    const instId = url.searchParams.get('instId') ?? ''
    if (!market.has(instId))
      return reply(200, { code: '51001', msg: "Instrument ID doesn't exist", data: [] })
    if (url.pathname === HISTORY)
      return reply(200, { code: '0', msg: '', data: market.history(instId, url.searchParams) })
    const sz = Math.min(Math.max(Number(url.searchParams.get('sz') ?? 1) || 1, 1), 400)
    const data = market.restBook(instId, sz) // taken now, answered after the delay
    setTimeout(() => reply(200, { code: '0', msg: '', data }), options.restBookDelayMs ?? 0)
  }

  const sockets = new ExchangeSockets<Client>({
    rest,
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
        for (const client of subscribers('trades', trade.instId))
          if (push(client, trade.push)) trade.sent.connection = client.index
      }
    }
    for (const { instId, push: message } of market.tick(now, pacer.paused))
      for (const client of subscribers('books', instId)) push(client, message)
  }, options.depthEveryMs ?? 100)

  const { wsBase, restUrl } = await sockets.listen(options.host, options.port)
  return {
    url: `${wsBase}/ws/v5/public`,
    restUrl,
    book: (symbol, levels) => market.book(symbol, levels),
    injectGap: (symbol) => market.injectGap(symbol),
    corruptNextBookUpdate: (symbol) => market.corruptNextUpdate(symbol),
    resetSequence: (symbol) => market.resetSequence(symbol),
    dropConnections: () => sockets.dropConnections(),
    disconnectFor: (ms) => sockets.disconnectFor(ms),
    pause: () => pacer.pause(),
    resume: () => pacer.resume(),
    rateLimitHistory: (n, retryAfterS) => limits.get(HISTORY)?.arm(n, { retryAfterS }),
    rateLimitBooks: (n, retryAfterS) => limits.get(BOOKS)?.arm(n, { retryAfterS }),
    restLog: () => [...restLog],
    requests: () => [...requestLog],
    connections: () => sockets.connections(),
    idleDrops: () => idleDrops,
    pongs: () => pongs,
    keepAlives: () => market.keepAlives,
    sentTrades,
    close: () => {
      clearInterval(timer)
      return sockets.close()
    }
  }
}
