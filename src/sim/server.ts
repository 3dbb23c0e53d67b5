import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { WebSocketServer, type WebSocket } from 'ws'
import type { TradeMessage } from '../core/messages.ts'
import { listening } from './kit/sockets.ts'
import { TradeGenerator, seededRandom, ticksToDecimal } from './market.ts'
import { emptySubscriptions, type SimAggregate, type SimConnection, type SimProtocol } from './protocol.ts'

/**
 * The market simulator's server: one WebSocket server speaking one exchange protocol (protocols/*). Per
 * connection it sends trades of the symbols the client subscribed to at `tradesPerSecond` (paced against the
 * clock, so the rate holds), the book of subscribed symbols every `bookEveryMs`, and minute aggregates every
 * `aggregateEveryMs`. Fault modes: drop each connection after `dropAfterMs`; go silent after `silentAfterMs`
 * (the socket stays open but nothing is sent, not even pongs); corrupt a share of frames (`malformedRatio`);
 * send a share of trade frames twice (`repeatRatio`).
 */
export interface SimServerOptions {
  port: number
  host?: string
  tradesPerSecond: number
  bookEveryMs: number
  aggregateEveryMs?: number
  bookLevels?: number
  seed: number
  dropAfterMs?: number
  silentAfterMs?: number
  malformedRatio?: number
  repeatRatio?: number
  /** Application ping interval for protocols that have one (Centrifugo). */
  pingEveryMs?: number
}

export interface RunningSimServer {
  url: string
  /** Frames sent so far over all connections (for benchmarks). */
  framesSent(): number
  close(): Promise<void>
}

const TICK_MS = 10
/** A client this far behind is a slow consumer and is disconnected, as exchanges do (Polygon documents it). */
const SLOW_CONSUMER_BYTES = 16 * 1024 * 1024

export async function startSimServer(
  protocol: SimProtocol,
  options: SimServerOptions,
  log: Logger
): Promise<RunningSimServer> {
  const host = options.host ?? '127.0.0.1'
  // Pongs are answered by hand so that a silent connection can stop answering them.
  const server = new WebSocketServer({ port: options.port, host, autoPong: false })
  await listening(server, host, options.port)
  const counter = { frames: 0 }
  let connections = 0
  server.on('connection', (socket) => serve(socket, protocol, options, options.seed + connections++, counter))
  const url = `ws://${host}:${(server.address() as AddressInfo).port}${protocol.path}`
  log.info({ url, protocol: protocol.title, ...options }, `${protocol.title} simulator listening`)
  return {
    url,
    framesSent: () => counter.frames,
    close: () =>
      new Promise((resolve) => {
        for (const client of server.clients) client.terminate()
        server.close(() => resolve())
      })
  }
}

function serve(
  socket: WebSocket,
  protocol: SimProtocol,
  options: SimServerOptions,
  seed: number,
  counter: { frames: number }
): void {
  const random = seededRandom(seed)
  const connection: SimConnection = { subscriptions: emptySubscriptions(), authenticated: false }
  const opened = Date.now()
  let silent = false
  let market: TradeGenerator | null = null
  let marketSymbols = ''
  const send = (frame: string) => {
    if (silent || socket.readyState !== socket.OPEN) return
    socket.send(random() < (options.malformedRatio ?? 0) ? frame.slice(0, frame.length >> 1) : frame)
    counter.frames++
  }
  const marketFor = (symbols: string[]) => {
    const key = symbols.join(',')
    if (key !== marketSymbols) {
      market = new TradeGenerator({ exchange: 'sim', symbols, seed })
      marketSymbols = key
    }
    return market
  }

  for (const frame of protocol.greet(connection)) send(frame)
  socket.on('message', (data) => {
    if (silent) return
    for (const reply of protocol.onClientFrame(data.toString(), connection)) send(reply)
  })
  socket.on('ping', (data) => {
    if (!silent) socket.pong(data)
  })

  let sent = 0
  let lastBook = 0
  let minute: Map<string, SimAggregate> = new Map()
  let lastAggregate = opened
  const timer = setInterval(() => {
    const now = Date.now()
    if (options.silentAfterMs !== undefined && now - opened >= options.silentAfterMs) silent = true
    if (silent || socket.readyState !== socket.OPEN) return
    if (socket.bufferedAmount > SLOW_CONSUMER_BYTES) {
      socket.terminate()
      return
    }
    const { trades: tradeSymbols, books, aggregates } = connection.subscriptions
    const symbols = [...new Set([...tradeSymbols, ...books, ...aggregates])].sort()
    if (symbols.length === 0) return
    const generator = marketFor(symbols)
    if (!generator) return
    // Paced against the clock: the trades due since the connection opened, minus those sent.
    const due = Math.floor(((now - opened) * options.tradesPerSecond) / 1000) - sent
    const batch: TradeMessage[] = []
    for (let i = 0; i < due; i++) {
      const { message } = generator.next(now)
      sent++
      if (tradeSymbols.has(message.symbol)) batch.push(message)
      if (aggregates.has(message.symbol)) minute = addToAggregate(minute, message)
    }
    // One write for the whole tick instead of one per frame (ws exposes its net.Socket as _socket).
    const raw = (socket as unknown as { _socket?: { cork(): void; uncork(): void } })._socket
    raw?.cork()
    for (const frame of protocol.tradeFrames(batch, connection)) {
      send(frame)
      if (random() < (options.repeatRatio ?? 0)) send(frame)
    }
    raw?.uncork()
    if (books.size > 0 && now - lastBook >= options.bookEveryMs) {
      lastBook = now
      for (const symbol of books)
        for (const frame of protocol.bookFrames(
          symbol,
          generator.book(symbol, options.bookLevels ?? 10),
          now
        ))
          send(frame)
    }
    if (now - lastAggregate >= (options.aggregateEveryMs ?? 60_000)) {
      for (const aggregate of minute.values())
        for (const frame of protocol.aggregateFrames({ ...aggregate, start: lastAggregate, end: now }))
          send(frame)
      minute = new Map()
      lastAggregate = now
    }
  }, TICK_MS)
  const ping =
    protocol.ping && options.pingEveryMs
      ? setInterval(() => send(protocol.ping as string), options.pingEveryMs)
      : null
  const drop = options.dropAfterMs ? setTimeout(() => socket.terminate(), options.dropAfterMs) : null
  // A frame the protocol forbids (ws answers it by closing with 1002 or 1009): the connection ends, not the server.
  socket.on('error', () => socket.terminate())
  socket.on('close', () => {
    clearInterval(timer)
    if (ping) clearInterval(ping)
    if (drop) clearTimeout(drop)
  })
}

function addToAggregate(minute: Map<string, SimAggregate>, trade: TradeMessage): Map<string, SimAggregate> {
  const current = minute.get(trade.symbol)
  const price = Number(trade.price)
  if (!current) {
    minute.set(trade.symbol, {
      symbol: trade.symbol,
      open: trade.price,
      high: trade.price,
      low: trade.price,
      close: trade.price,
      volume: trade.amount,
      trades: 1,
      start: trade.ts,
      end: trade.ts
    })
    return minute
  }
  // Prices compare as numbers; the text of the extreme trade is kept, so no float is ever sent.
  if (price > Number(current.high)) current.high = trade.price
  if (price < Number(current.low)) current.low = trade.price
  current.close = trade.price
  current.volume = addDecimals(current.volume, trade.amount)
  current.trades++
  return minute
}

/** Exact sum of two non-negative decimal texts. */
function addDecimals(a: string, b: string): string {
  const scale = Math.max(a.split('.')[1]?.length ?? 0, b.split('.')[1]?.length ?? 0)
  const ticks = (text: string) => {
    const [whole = '0', fraction = ''] = text.split('.')
    return BigInt(whole + fraction.padEnd(scale, '0'))
  }
  return ticksToDecimal(ticks(a) + ticks(b), scale)
}
