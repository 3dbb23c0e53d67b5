import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  consumerConfig,
  displayNatsUrl,
  isRedelivery,
  natsCredentials,
  streamConfig
} from '../../src/nats/jetstream.ts'
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

test('credentials in NATS_URL become the client options and never show in messages', () => {
  assert.deepEqual(natsCredentials('nats://tb:s%40cret@nats-1:4222,nats://nats-2:4222'), {
    user: 'tb',
    pass: 's@cret'
  })
  assert.deepEqual(natsCredentials('nats://nats-1:4222,nats://t0ken@nats-2:4222'), { token: 't0ken' })
  assert.equal(natsCredentials('nats://nats-1:4222,nats-2:4222'), null)
  assert.equal(
    displayNatsUrl('nats://tb:secret@nats-1:4222, tb:secret@nats-2:4222'),
    'nats://***@nats-1:4222,***@nats-2:4222'
  )
  assert.equal(displayNatsUrl('nats://127.0.0.1:4222'), 'nats://127.0.0.1:4222')
})
