import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { connect, StringCodec } from 'nats'
import { WebSocketServer, type WebSocket } from 'ws'
import type { TradeMessage } from '../../src/core/messages.ts'
import { natsSubject } from '../../src/feed/nats-fanout.ts'
import { startFeed } from '../../src/feed/run.ts'
import { eventually, silentLog, testEnv } from '../helpers/stack.ts'

// The machines run a NATS server on 127.0.0.1:4222 (the seed's live path); NATS_URL overrides it.
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'

test('subjects are market.<type>.<exchange>.<symbol>, one token per part', () => {
  assert.equal(
    natsSubject({ type: 'trade', exchange: 'wallex', symbol: 'BTCUSDT' }),
    'market.trade.wallex.BTCUSDT'
  )
  assert.equal(
    natsSubject({ type: 'quote', exchange: 'polygon', symbol: 'EUR/USD' }),
    'market.quote.polygon.EUR/USD'
  )
  assert.equal(natsSubject({ type: 'trade', exchange: 'x', symbol: 'A.B *>' }), 'market.trade.x.A_B___')
})

test('a feed with --nats publishes every message on NATS as well as to Kafka', async (t) => {
  const env = await testEnv(t)
  const nats = await connect({ servers: natsUrl })
  const codec = StringCodec()
  const received: { subject: string; data: TradeMessage }[] = []
  const subscription = nats.subscribe(`market.trade.wallex.>`)
  void (async () => {
    for await (const m of subscription)
      received.push({ subject: m.subject, data: JSON.parse(codec.decode(m.data)) as TradeMessage })
  })()
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await new Promise((resolve) => server.once('listening', resolve))
  const sockets: WebSocket[] = []
  server.on('connection', (socket) => sockets.push(socket))
  const feed = await startFeed(
    env.config,
    {
      exchange: 'wallex',
      url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`,
      natsUrl,
      protocol: 1,
      symbols: ['BTCUSDT'],
      depthIntervalMs: 7_000,
      instanceId: `test-nats-${env.id}`,
      statsIntervalMs: 0
    },
    silentLog
  )
  t.after(async () => {
    await feed.stop()
    await nats.drain()
    server.close()
  })
  await eventually(
    async () => sockets.length === 1,
    () => 'feed did not connect',
    10_000
  )
  for (const price of ['100.10', '100.20', '100.30']) {
    sockets[0]!.send(
      JSON.stringify([
        'BTCUSDT@trade',
        { isBuyOrder: true, quantity: '1', price, timestamp: new Date().toISOString() }
      ])
    )
  }
  await eventually(
    async () => received.length === 3,
    () => `${received.length} on NATS`,
    10_000
  )
  assert.deepEqual(
    received.map((r) => [r.subject, r.data.price]),
    [
      ['market.trade.wallex.BTCUSDT', '100.10'],
      ['market.trade.wallex.BTCUSDT', '100.20'],
      ['market.trade.wallex.BTCUSDT', '100.30']
    ]
  )
  assert.equal(feed.publisher.counts.get('trade'), 3, 'and the same three went to Kafka')
})
