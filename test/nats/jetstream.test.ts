import assert from 'node:assert/strict'
import { test } from 'node:test'
import { consumerConfig, isRedelivery, streamConfig } from '../../src/nats/jetstream.ts'
import { loadConfig } from '../../src/config/load.ts'

test('a redelivery is read from the ack subject, in both of its formats', () => {
  assert.equal(isRedelivery('$JS.ACK.MARKET.tickbridge-bridge.1.42.40.1796012047595000000.7'), false)
  assert.equal(isRedelivery('$JS.ACK.MARKET.tickbridge-bridge.2.42.40.1796012047595000000.7'), true)
  assert.equal(isRedelivery('$JS.ACK.MARKET.tickbridge-bridge.11.42.40.1796012047595000000.7'), true)
  assert.equal(isRedelivery('$JS.ACK._.ACCHASH.MARKET.c.1.42.40.1796012047595000000.7.Rnd'), false)
  assert.equal(isRedelivery('$JS.ACK.hub.ACCHASH.MARKET.c.3.42.40.1796012047595000000.7'), true)
})

test('the stream is a work queue on <prefix>.>, the consumer acknowledges explicitly', () => {
  const { nats } = loadConfig(
    { NATS_SUBJECT_PREFIX: 'prod.market', NATS_ACK_WAIT_MS: '5000' },
    '/nonexistent'
  )
  assert.deepEqual(streamConfig(nats), {
    name: 'MARKET',
    subjects: ['prod.market.>'],
    retention: 'workqueue',
    storage: 'file',
    discard: 'old',
    max_age: 86_400_000 * 1_000_000,
    max_bytes: 1_073_741_824,
    num_replicas: 1
  })
  assert.deepEqual(consumerConfig(nats, 'trade'), {
    durable_name: 'tickbridge-bridge-trade',
    filter_subject: 'prod.market.trade.>',
    ack_policy: 'explicit',
    deliver_policy: 'all',
    ack_wait: 5_000_000_000,
    max_ack_pending: 200_000,
    max_deliver: -1
  })
})
