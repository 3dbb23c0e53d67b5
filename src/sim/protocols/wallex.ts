import type { TradeMessage } from '../../core/messages.ts'
import type { SimBook, SimConnection, SimProtocol } from '../protocol.ts'

/** Wallex's two socket generations: v1 (`/ws`, JSON arrays) and v2 (`/connection/websocket`, Centrifugo). */
const CHANNEL = /^(?:public:|orderbook:)?([A-Z0-9]+)@(trade|buyDepth|sellDepth)$/

function subscribe(channel: string, connection: SimConnection): boolean {
  const match = CHANNEL.exec(channel)
  if (!match) return false
  const [, symbol = '', stream] = match
  ;(stream === 'trade' ? connection.subscriptions.trades : connection.subscriptions.books).add(symbol)
  return true
}

/** The trade object both generations carry: decimal strings, whole-second ISO time, no id. */
let cachedSecond = -1
let cachedIso = ''
function tradePayload(trade: TradeMessage): string {
  const second = Math.floor(trade.ts / 1000)
  if (second !== cachedSecond) {
    cachedSecond = second
    cachedIso = new Date(second * 1000).toISOString().replace('.000Z', 'Z')
  }
  // Built as text (not JSON.stringify of an object): the simulator's hot path at 100k trades/s.
  return `{"isBuyOrder":${trade.side === 'buy'},"quantity":"${trade.amount}","price":"${trade.price}","timestamp":"${cachedIso}"}`
}

/** One side of the book: level objects with JSON-number price and quantity (the literal digits), and sum. */
function sidePayload(levels: SimBook['bids']): string {
  return `[${levels.map(([price, quantity]) => `{"quantity":${quantity},"price":${price},"sum":${(Number(price) * Number(quantity)).toFixed(2)}}`).join(',')}]`
}

export const wallexV1: SimProtocol = {
  title: 'Wallex v1',
  path: '/ws',
  greet: () => [],
  onClientFrame(text, connection) {
    try {
      const [command, body] = JSON.parse(text) as [string, { channel?: string }]
      if (command === 'subscribe' && typeof body?.channel === 'string') subscribe(body.channel, connection)
    } catch {
      // not a v1 command: ignored
    }
    return []
  },
  tradeFrames: (trades) => trades.map((t) => `["${t.symbol}@trade",${tradePayload(t)}]`),
  bookFrames: (symbol, book) => [
    `["${symbol}@buyDepth",${sidePayload(book.bids)}]`,
    `["${symbol}@sellDepth",${sidePayload(book.asks)}]`
  ],
  aggregateFrames: () => []
}

export const wallexV2: SimProtocol = {
  title: 'Wallex v2 (Centrifugo)',
  path: '/connection/websocket',
  greet: () => [],
  onClientFrame(text, connection) {
    let command: { id?: number; connect?: object; subscribe?: { channel?: string } }
    try {
      command = JSON.parse(text) as typeof command
    } catch {
      return []
    }
    if (command.connect) {
      return [
        JSON.stringify({
          id: command.id,
          connect: { client: 'sim-client', version: '5.4.0', ping: 25, pong: true }
        })
      ]
    }
    if (command.subscribe?.channel) {
      return subscribe(command.subscribe.channel, connection)
        ? [JSON.stringify({ id: command.id, subscribe: {} })]
        : [JSON.stringify({ id: command.id, error: { code: 102, message: 'unknown channel' } })]
    }
    return [] // `{}`: the client's pong
  },
  tradeFrames: (trades) =>
    trades.map((t) => `{"push":{"channel":"public:${t.symbol}@trade","pub":{"data":${tradePayload(t)}}}}`),
  bookFrames: (symbol, book) => [
    `{"push":{"channel":"orderbook:${symbol}@buyDepth","pub":{"data":${sidePayload(book.bids)}}}}`,
    `{"push":{"channel":"orderbook:${symbol}@sellDepth","pub":{"data":${sidePayload(book.asks)}}}}`
  ],
  aggregateFrames: () => [],
  ping: '{}'
}
