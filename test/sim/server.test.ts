import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import type { MarketMessage } from '../../src/core/messages.ts'
import { FeedConnection } from '../../src/feed/connection.ts'
import type { ExchangeSession } from '../../src/feed/session.ts'
import type { FeedSink } from '../../src/feed/exchanges/frames.ts'
import { polygonSession } from '../../src/feed/exchanges/polygon.ts'
import { wallexSession } from '../../src/feed/exchanges/wallex.ts'
import { REFUSED_KEY } from '../../src/sim/protocols/polygon.ts'
import { simProtocols } from '../../src/sim/protocols/index.ts'
import { startSimServer, type SimServerOptions } from '../../src/sim/server.ts'
import { eventually, silentLog } from '../helpers/stack.ts'

const fast = { pingIntervalMs: 200, staleAfterMs: 1_000, reconnectMaxDelayMs: 100 }

/** A simulator serving `protocol` and a feed connection to it collecting what the session maps. */
async function simAndFeed(
  t: TestContext,
  protocol: keyof typeof simProtocols,
  options: Partial<SimServerOptions>,
  session: (url: string, sink: FeedSink) => ExchangeSession
) {
  const server = await startSimServer(
    simProtocols[protocol]!.protocol,
    { port: 0, tradesPerSecond: 500, bookEveryMs: 100, seed: 3, ...options },
    silentLog
  )
  const messages: MarketMessage[] = []
  const rejected: string[] = []
  const connection = new FeedConnection(
    session(server.url, {
      message: (m) => messages.push(m),
      rejected: (_f, reason) => rejected.push(reason)
    }),
    silentLog,
    fast
  )
  connection.start()
  t.after(async () => {
    connection.stop()
    await server.close()
  })
  const of = (type: string, symbol?: string) =>
    messages.filter((m) => m.type === type && (!symbol || m.symbol === symbol))
  return { server, connection, messages, rejected, of }
}

test('Wallex v1 simulator: trades and whole-book depth for the subscribed symbols; drops and malformed frames', async (t) => {
  const { connection, rejected, of } = await simAndFeed(
    t,
    'wallex',
    { dropAfterMs: 1_000, malformedRatio: 0.05 },
    (url, sink) =>
      wallexSession({ url, protocol: 1, symbols: ['BTCUSDT', 'ETHUSDT'], depthIntervalMs: 200 }, sink)
  )
  await eventually(
    async () => connection.connects >= 2 && of('trade').length > 300 && of('depth', 'ETHUSDT').length >= 2,
    () => `connects ${connection.connects}, trades ${of('trade').length}, rejected ${rejected.length}`,
    10_000
  )
  assert.ok(of('trade', 'BTCUSDT').length > 0 && of('trade', 'ETHUSDT').length > 0)
  assert.ok(rejected.length > 0 && rejected.every((reason) => /invalid JSON/.test(reason)))
})

test('Wallex v2 (Centrifugo) simulator: connect, subscribe, pushes and {} pings the feed answers', async (t) => {
  const { connection, rejected, of } = await simAndFeed(t, 'wallex-v2', { pingEveryMs: 100 }, (url, sink) =>
    wallexSession({ url, protocol: 2, symbols: ['BTCUSDT'], depthIntervalMs: 200 }, sink)
  )
  await eventually(
    async () => of('trade', 'BTCUSDT').length > 200 && of('depth', 'BTCUSDT').length >= 2,
    () => `trades ${of('trade').length}, depth ${of('depth').length}, rejected ${rejected.join('; ')}`,
    10_000
  )
  const depth = of('depth', 'BTCUSDT')[0]
  assert.ok(
    depth?.type === 'depth' && depth.bids.length === 10 && depth.asks.length === 10,
    'both sides combined'
  )
  assert.deepEqual(rejected, [])
  assert.equal(connection.connects, 1)
})

test('Polygon simulator: auth, then batched XT trades, XQ quotes and XA aggregates with the literal digits', async (t) => {
  const { rejected, of } = await simAndFeed(t, 'polygon', { aggregateEveryMs: 500 }, (url, sink) =>
    polygonSession(
      { url, apiKey: 'test-key', subscriptions: ['XT.BTC-USD', 'XQ.BTC-USD', 'XA.BTC-USD'] },
      sink
    )
  )
  await eventually(
    async () => of('trade').length > 200 && of('quote').length >= 2 && of('candle').length >= 1,
    () => `trades ${of('trade').length}, quotes ${of('quote').length}, candles ${of('candle').length}`,
    10_000
  )
  assert.deepEqual(rejected, [])
  assert.ok(
    of('trade').every(
      (m) => m.type === 'trade' && m.symbol === 'BTC-USD' && /^\d+\.\d{1,2}$|^\d+$/.test(m.price)
    )
  )
  const candle = of('candle')[0]
  assert.ok(candle?.type === 'candle' && candle.timeframe === '1m')
})

test('Polygon simulator refuses a bad key; the feed stops with the reason instead of reconnecting', async (t) => {
  const { connection } = await simAndFeed(t, 'polygon', {}, (url, sink) =>
    polygonSession({ url, apiKey: REFUSED_KEY, subscriptions: ['XT.BTC-USD'] }, sink)
  )
  await eventually(
    async () => connection.fatal !== null,
    () => 'the feed should stop',
    5_000
  )
  assert.match(connection.fatal ?? '', /refused the API key \(auth_failed/)
  await new Promise((resolve) => setTimeout(resolve, 500))
  assert.equal(connection.connects, 1, 'no reconnect loop')
})

test('a silent simulator (socket open, nothing sent, no pongs) is detected as stale and the feed reconnects', async (t) => {
  const { connection, of } = await simAndFeed(t, 'wallex', { silentAfterMs: 500 }, (url, sink) =>
    wallexSession({ url, protocol: 1, symbols: ['BTCUSDT'], depthIntervalMs: 200 }, sink)
  )
  await eventually(
    async () => connection.connects >= 2,
    () => `connects ${connection.connects}, trades ${of('trade').length}`,
    10_000
  )
})
