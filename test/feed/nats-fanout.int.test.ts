import assert from 'node:assert/strict'
import { test } from 'node:test'
import { feedWithLocalExchange } from '../helpers/feed.ts'
import { connect, StringCodec } from 'nats'
import type { TradeMessage } from '../../src/core/messages.ts'
import { natsSubject } from '../../src/feed/nats-fanout.ts'
import { eventually, testEnv } from '../helpers/stack.ts'

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
  t.after(() => nats.drain())
  const { feed, sockets } = await feedWithLocalExchange(t, env, { natsUrl })
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
