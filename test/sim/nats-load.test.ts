import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadConfig } from '../../src/config/load.ts'
import { isPubAck, subjectMapper } from '../../src/sim/nats-load.ts'

test('a record goes on the subject a feed publishes it on: <prefix>.<type>.<exchange>.<symbol>', () => {
  const config = loadConfig({ NATS_SUBJECT_PREFIX: 'lt.market', TOPIC_DEPTH: 'x.depth' }, '/nonexistent/.env')
  const subjectOf = subjectMapper(config)
  assert.equal(
    subjectOf({ topic: config.topics.trades, key: 'binance:BTCUSDT', value: '' }),
    'lt.market.trade.binance.BTCUSDT'
  )
  // Dots in a symbol become `_` (one token), as in feed/nats-fanout.ts; a colon in the symbol stays.
  assert.equal(
    subjectOf({ topic: 'x.depth', key: 'kraken:BTC/USD.x:1', value: '' }),
    'lt.market.depth.kraken.BTC/USD_x:1'
  )
  assert.throws(() => subjectOf({ topic: 'other', key: 'a:b', value: '' }), /not a topic of a message type/)
})

test('only a stream acknowledgement counts as stored', () => {
  const bytes = (s: string) => new TextEncoder().encode(s)
  assert.equal(isPubAck(bytes('{"stream":"MARKET","seq":42}')), true)
  assert.equal(isPubAck(bytes('{"error":{"code":503,"description":"no responders"}}')), false)
  assert.equal(isPubAck(new Uint8Array()), false)
})
