import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { WebSocketServer, type WebSocket } from 'ws'
import { TradeGenerator, seededRandom } from './market.ts'

/**
 * A local server that speaks Wallex's v1 socket protocol (`["subscribe",{"channel":"BTCUSDT@trade"}]`,
 * frames `["BTCUSDT@trade",{...}]`), so feeds run offline and under controlled load. Per connection it sends
 * trades of the subscribed symbols at `tradesPerSecond`, and both depth sides every `depthEveryMs`.
 * Fault modes: drop every connection after `dropAfterMs`, send a malformed frame with probability
 * `malformedRatio`, repeat a trade frame with probability `repeatRatio`.
 */
export interface WallexServerOptions {
  port: number
  tradesPerSecond: number
  depthEveryMs: number
  seed: number
  dropAfterMs?: number
  malformedRatio?: number
  repeatRatio?: number
}

export interface RunningSimServer {
  url: string
  close(): Promise<void>
}

const TICK_MS = 20

export async function startWallexServer(
  options: WallexServerOptions,
  log: Logger
): Promise<RunningSimServer> {
  const server = new WebSocketServer({ port: options.port, host: '127.0.0.1' })
  await new Promise((resolve) => server.once('listening', resolve))
  const random = seededRandom(options.seed)
  server.on('connection', (socket) => serve(socket, options, random, log))
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`
  log.info({ url, ...options }, 'Wallex v1 simulator listening')
  return {
    url,
    close: () =>
      new Promise((resolve) => {
        for (const client of server.clients) client.terminate()
        server.close(() => resolve())
      })
  }
}

function serve(socket: WebSocket, options: WallexServerOptions, random: () => number, log: Logger): void {
  const trades = new Set<string>()
  const depth = new Set<string>()
  let generator: TradeGenerator | null = null
  socket.on('message', (data) => {
    try {
      const [command, body] = JSON.parse(data.toString()) as [string, { channel?: string }]
      const match = /^([A-Z0-9]+)@(trade|buyDepth|sellDepth)$/.exec(body?.channel ?? '')
      if (command !== 'subscribe' || !match) return
      ;(match[2] === 'trade' ? trades : depth).add(match[1] as string)
      generator = new TradeGenerator({
        exchange: 'wallex',
        symbols: [...trades].length ? [...trades] : ['BTCUSDT'],
        seed: options.seed
      })
    } catch {
      log.debug('ignored a frame that is not a v1 command')
    }
  })
  let due = 0
  let lastDepth = 0
  const timer = setInterval(() => {
    if (socket.readyState !== socket.OPEN) return
    due += (options.tradesPerSecond * TICK_MS) / 1000
    const now = Date.now()
    const timestamp = new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z')
    for (; due >= 1 && generator && trades.size > 0; due--) {
      const { message } = generator.next(now)
      const frame = JSON.stringify([
        `${message.symbol}@trade`,
        { isBuyOrder: message.side === 'buy', quantity: message.amount, price: message.price, timestamp }
      ])
      socket.send(random() < (options.malformedRatio ?? 0) ? frame.slice(0, frame.length >> 1) : frame)
      if (random() < (options.repeatRatio ?? 0)) socket.send(frame)
    }
    if (depth.size > 0 && now - lastDepth >= options.depthEveryMs) {
      lastDepth = now
      for (const symbol of depth) {
        for (const side of ['buyDepth', 'sellDepth']) {
          const base = 1000 + Math.floor(random() * 100)
          const levels = Array.from({ length: 5 }, (_, i) => ({
            price: base + (side === 'buyDepth' ? -i : i + 1),
            quantity: 0.5 + i,
            sum: 0
          }))
          socket.send(JSON.stringify([`${symbol}@${side}`, levels]))
        }
      }
    }
  }, TICK_MS)
  const drop = options.dropAfterMs ? setTimeout(() => socket.terminate(), options.dropAfterMs) : null
  socket.on('close', () => {
    clearInterval(timer)
    if (drop) clearTimeout(drop)
  })
}
