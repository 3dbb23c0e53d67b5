import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { WebSocketServer, type WebSocket } from 'ws'
import type { MarketMessage, TradeMessage } from '../../../src/core/messages.ts'
import { FeedConnection, type ConnectionOptions } from '../../../src/feed/connection.ts'
import { wallexSession } from '../../../src/feed/exchanges/wallex.ts'
import type { ExchangeSession } from '../../../src/feed/session.ts'
import { eventually, silentLog } from '../../helpers/stack.ts'

// A local server that speaks Wallex's v1 socket protocol (JSON arrays).
async function wallexServer(options: { autoPong?: boolean } = {}) {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', autoPong: options.autoPong ?? true })
  await new Promise((resolve) => server.once('listening', resolve))
  const connections: { socket: WebSocket; received: unknown[] }[] = []
  server.on('connection', (socket) => {
    const entry = { socket, received: [] as unknown[] }
    connections.push(entry)
    socket.on('message', (data) => entry.received.push(JSON.parse(data.toString())))
  })
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`, connections, server }
}

/** `session` over a started FeedConnection; after the test the connection stops and the server closes. */
function runConnection(
  t: TestContext,
  server: WebSocketServer,
  session: ExchangeSession,
  options: ConnectionOptions
): FeedConnection {
  const connection = new FeedConnection(session, silentLog, options)
  connection.start()
  t.after(() => {
    connection.stop()
    server.close()
  })
  return connection
}

const trade = (price: string, quantity: string) =>
  JSON.stringify(['BTCUSDT@trade', { isBuyOrder: true, quantity, price, timestamp: '2025-06-01T09:33:41Z' }])

test('Wallex v1: exact subscribe messages, trades mapped, resubscribe after a drop, re-sent trades keep their ids', async (t) => {
  const { url, connections, server } = await wallexServer()
  const messages: MarketMessage[] = []
  const rejected: string[] = []
  const session = wallexSession(
    { url, protocol: 1, symbols: ['BTCUSDT', 'ETHUSDT'], depthIntervalMs: 7_000 },
    { message: (m) => messages.push(m), rejected: (_frame, reason) => rejected.push(reason) }
  )
  const connection = runConnection(t, server, session, {
    pingIntervalMs: 100,
    staleAfterMs: 2_000,
    reconnectMaxDelayMs: 200
  })
  const expectedSubscribes = ['BTCUSDT', 'ETHUSDT'].flatMap((s) =>
    ['trade', 'buyDepth', 'sellDepth'].map((stream) => ['subscribe', { channel: `${s}@${stream}` }])
  )
  await eventually(
    async () => connections[0]?.received.length === 6,
    () => `got ${JSON.stringify(connections[0]?.received)}`,
    5_000
  )
  assert.deepEqual(connections[0]?.received, expectedSubscribes)

  const first = connections[0]!.socket
  first.send(trade('98012.50', '0.0123'))
  first.send(trade('98012.50', '0.0123')) // an identical second trade in the same second
  first.send('["BTCUSDT@trade",{"isBuyOrder":true') // malformed: counted, never fatal
  await eventually(
    async () => messages.length === 2 && rejected.length === 1,
    () => `${messages.length} messages`,
    5_000
  )
  first.terminate() // the exchange drops the connection

  await eventually(
    async () => (connections[1]?.received.length ?? 0) === 6,
    () => 'no resubscribe',
    5_000
  )
  assert.deepEqual(connections[1]?.received, expectedSubscribes, 'resubscribed exactly')
  const second = connections[1]!.socket
  second.send(trade('98012.50', '0.0123')) // re-sent after the reconnect
  second.send(trade('98013.00', '0.5')) // new
  await eventually(
    async () => messages.length === 4,
    () => `${messages.length} messages`,
    5_000
  )

  const trades = messages as TradeMessage[]
  assert.equal(trades[0]?.price, '98012.50')
  assert.notEqual(trades[0]?.id, trades[1]?.id, 'identical trades in one second stay two')
  assert.equal(trades[2]?.id, trades[0]?.id, 'the re-sent trade keeps its id, so it deduplicates')
  assert.equal(trades[3]?.price, '98013.00', 'nothing sent after the reconnect is lost')
  assert.match(rejected[0] ?? '', /invalid JSON/)
  assert.equal(connection.connects, 2)
})

test('a connection that answers nothing (not even pings) is declared stale and replaced', async (t) => {
  const { url, connections, server } = await wallexServer({ autoPong: false })
  const session = wallexSession(
    { url, protocol: 1, symbols: ['BTCUSDT'], depthIntervalMs: 7_000 },
    { message: () => undefined, rejected: () => undefined }
  )
  const connection = runConnection(t, server, session, {
    pingIntervalMs: 100,
    staleAfterMs: 400,
    reconnectMaxDelayMs: 100
  })
  await eventually(
    async () => connections.length >= 2,
    () => `${connections.length} connections`,
    5_000
  )
  assert.ok(connection.connects >= 2)
})

test('Wallex v2 (Centrifugo): connect command first, prefixed channels, {} pings answered, pushes mapped', async (t) => {
  const { url, connections, server } = await wallexServer()
  const messages: MarketMessage[] = []
  const session = wallexSession(
    { url, protocol: 2, symbols: ['BTCTMN'], depthIntervalMs: 0 },
    { message: (m) => messages.push(m), rejected: () => undefined }
  )
  runConnection(t, server, session, {
    pingIntervalMs: 100,
    staleAfterMs: 2_000,
    reconnectMaxDelayMs: 200
  })
  await eventually(
    async () => connections[0]?.received.length === 4,
    () => JSON.stringify(connections[0]?.received),
    5_000
  )
  assert.deepEqual(connections[0]?.received, [
    { id: 1, connect: {} },
    { id: 2, subscribe: { channel: 'public:BTCTMN@trade' } },
    { id: 3, subscribe: { channel: 'orderbook:BTCTMN@buyDepth' } },
    { id: 4, subscribe: { channel: 'orderbook:BTCTMN@sellDepth' } }
  ])
  const socket = connections[0]!.socket
  socket.send('{}')
  await eventually(
    async () => connections[0]!.received.length === 5,
    () => 'ping not answered',
    5_000
  )
  assert.deepEqual(connections[0]!.received[4], {})
  const push = (channel: string, data: unknown) => JSON.stringify({ push: { channel, pub: { data } } })
  socket.send(
    push('public:BTCTMN@trade', {
      isBuyOrder: false,
      quantity: '0.5',
      price: '5000000000',
      timestamp: '2025-06-01T09:33:41Z'
    })
  )
  socket.send(push('orderbook:BTCTMN@buyDepth', [{ price: 4999000000, quantity: 0.25, sum: 1249750000 }]))
  socket.send(push('orderbook:BTCTMN@sellDepth', [{ price: 5001000000.5, quantity: 1, sum: 5001000000.5 }]))
  await eventually(
    async () => messages.length === 2,
    () => `${messages.length} messages`,
    5_000
  )
  assert.equal(messages[0]?.type, 'trade')
  assert.deepEqual(messages[1]?.type === 'depth' && [messages[1].bids, messages[1].asks], [
    [['4999000000', '0.25']],
    [['5001000000.5', '1']]
  ])
})
