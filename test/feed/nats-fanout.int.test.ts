import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import { feedWithLocalExchange } from '../helpers/feed.ts'
import { connect, StringCodec } from 'nats'
import type { TradeMessage } from '../../src/core/messages.ts'
import { NatsFanout, natsSubject } from '../../src/feed/nats-fanout.ts'
import { findNatsServer, probeNats } from '../../src/stack/nats-server.ts'
import { freePort } from '../helpers/ports.ts'
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

test('NATS gone: a stopping feed closes its NATS connection within seconds (no reconnecting for ever); a closed one drops instead of throwing', async (t) => {
  // A private nats-server, to kill: the shared one serves the other tests.
  const port = await freePort()
  const binary = findNatsServer()
  assert.ok(binary, 'nats-server is installed (.ci/run installs it)')
  const server = spawn(binary, ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' })
  t.after(() => server.kill('SIGKILL'))
  await eventually(
    async () => (await probeNats(`nats://127.0.0.1:${port}`)).nats,
    () => 'the private nats-server did not start',
    10_000
  )
  const fanout = await NatsFanout.connect(`nats://127.0.0.1:${port}`, 'test-fanout', 'market', silentLog)
  const trade = { type: 'trade', exchange: 'sim', symbol: 'BTCUSDT' } as TradeMessage
  fanout.publish(trade, '{}')
  server.kill('SIGKILL')
  await once(server, 'exit')
  fanout.publish(trade, '{}') // buffered while the client reconnects

  const started = Date.now()
  await fanout.close()
  assert.ok(Date.now() - started < 6_000, `close returned after ${Date.now() - started} ms`)
  assert.equal(fanout.closed, true, 'closed, not reconnecting for ever in the background')
  assert.doesNotThrow(() => fanout.publish(trade, '{}'))
  assert.equal(fanout.dropped, 1, 'what came after the close was dropped and counted')
})
