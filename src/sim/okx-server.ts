import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import type { PriceLevel } from '../core/messages.ts'
import { OkxMarket, type OkxMarketOptions, type OkxSentTrade } from './okx-market.ts'

export type { OkxFill, OkxSentTrade } from './okx-market.ts'

/**
 * A local OKX v5 public server, written from the protocol facts in docs/exchanges/okx.md (not from the
 * connector): one HTTP server with the WebSocket `/ws/v5/public` — `{"op":"subscribe","args":[…]}` acked per
 * arg (`{"event":"subscribe","arg":…,"connId":…}`), errors 60012/60018, `trades` and `books` pushes
 * (sim/okx-market.ts), the text `ping` answered `pong`, connections dropped after idleTimeoutMs without a
 * subscription or a push — and REST `/api/v5/market/books` and `/api/v5/market/history-trades` (429 with
 * code 50011 on demand). Trading goes on while clients are away (`disconnectFor`), so REST has what the
 * socket missed.
 */
export interface OkxServerOptions extends OkxMarketOptions {
  port?: number
  host?: string
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

export interface RunningOkxServer {
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
  /** Terminates every WebSocket connection (clients reconnect). */
  dropConnections(): void
  /** Drops every connection and refuses new ones for `ms`, trading on (REST keeps serving). */
  disconnectFor(ms: number): void
  /** Stops (and resumes) trades and book changes; keep-alive updates and pongs go on. */
  pause(): void
  resume(): void
  /** The next `n` history-trades (or books) requests answer 429, code 50011, with Retry-After if given. */
  rateLimitHistory(n: number, retryAfterS?: number): void
  rateLimitBooks(n: number, retryAfterS?: number): void
  /** Every REST request: path, query, arrival time and status. */
  restLog(): { path: string; query: string; at: number; status: number }[]
  /** Every subscribe/unsubscribe arg received: connection, op, channel, instId. */
  requests(): { connection: number; op: string; channel: string; instId: string }[]
  /** WebSocket connections accepted so far (the index in OkxSentTrade.connection). */
  connections(): number
  /** Connections dropped for being idle (no subscription, or nothing pushed, for idleTimeoutMs). */
  idleDrops(): number
  /** Pings answered. */
  pongs(): number
  /** Empty keep-alive updates (prevSeqId == seqId) made. */
  keepAlives(): number
  /** Every taker order made, including while no one was connected. */
  sentTrades: OkxSentTrade[]
  close(): Promise<void>
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
  const clients = new Set<Client>()
  let connections = 0
  let paused = false
  let refuseUntil = 0
  let idleDrops = 0
  let pongs = 0
  const limits = new Map<string, { n: number; retryAfterS: number | undefined }>()
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
    [...clients].filter((client) => client.subscriptions.has(`${channel}:${instId}`))

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
      response.writeHead(status, { 'content-type': 'application/json', ...headers })
      response.end(JSON.stringify(body))
    }
    const limit = limits.get(url.pathname)
    if (limit && limit.n > 0) {
      limit.n--
      const headers: Record<string, string> =
        limit.retryAfterS === undefined ? {} : { 'retry-after': String(limit.retryAfterS) }
      return reply(429, { code: '50011', msg: 'Too Many Requests', data: [] }, headers)
    }
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

  const server = createServer(rest)
  const wss = new WebSocketServer({ noServer: true })
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    if (url.pathname !== '/ws/v5/public') {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n')
      return
    }
    if (Date.now() < refuseUntil) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\n\r\n')
      return
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const now = Date.now()
      const client: Client = {
        index: connections++,
        connId: randomBytes(4).toString('hex'),
        socket: ws,
        subscriptions: new Set(),
        lastPushAt: now,
        openedAt: now
      }
      clients.add(client)
      ws.on('message', (data) => onRequest(client, String(data)))
      ws.on('close', () => clients.delete(client))
      ws.on('error', () => clients.delete(client))
    })
  })

  let due = 0
  let last = Date.now()
  const timer = setInterval(() => {
    const now = Date.now()
    const elapsed = now - last
    last = now
    for (const client of clients) {
      const idle = client.subscriptions.size === 0 ? now - client.openedAt : now - client.lastPushAt
      if (idle <= idleTimeoutMs) continue
      idleDrops++
      client.socket.terminate()
      clients.delete(client)
    }
    if (!paused) {
      for (due += (options.tradesPerSecond * elapsed) / 1000; due >= 1; due--) {
        const trade = market.trade(now)
        if (!trade) continue
        sentTrades.push(trade.sent)
        for (const client of subscribers('trades', trade.instId))
          if (push(client, trade.push)) trade.sent.connection = client.index
      }
    }
    for (const { instId, push: message } of market.tick(now, paused))
      for (const client of subscribers('books', instId)) push(client, message)
  }, options.depthEveryMs ?? 100)

  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve))
  const port = (server.address() as AddressInfo).port
  const dropAll = () => {
    for (const client of clients) client.socket.terminate()
  }
  return {
    url: `ws://${host}:${port}/ws/v5/public`,
    restUrl: `http://${host}:${port}`,
    book: (symbol, levels) => market.book(symbol, levels),
    injectGap: (symbol) => market.injectGap(symbol),
    corruptNextBookUpdate: (symbol) => market.corruptNextUpdate(symbol),
    resetSequence: (symbol) => market.resetSequence(symbol),
    dropConnections: dropAll,
    disconnectFor: (ms) => {
      refuseUntil = Date.now() + ms
      dropAll()
    },
    pause: () => {
      paused = true
    },
    resume: () => {
      paused = false
      last = Date.now()
    },
    rateLimitHistory: (n, retryAfterS) => void limits.set(HISTORY, { n, retryAfterS }),
    rateLimitBooks: (n, retryAfterS) => void limits.set(BOOKS, { n, retryAfterS }),
    restLog: () => [...restLog],
    requests: () => [...requestLog],
    connections: () => connections,
    idleDrops: () => idleDrops,
    pongs: () => pongs,
    keepAlives: () => market.keepAlives,
    sentTrades,
    close: () =>
      new Promise((resolve) => {
        clearInterval(timer)
        dropAll()
        wss.close()
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
