import assert from 'node:assert/strict'
import { test } from 'node:test'
import { feedWithLocalExchange } from '../helpers/feed.ts'
import { createAdmin } from '../../src/kafka/clients.ts'
import { endOffsets } from '../../src/kafka/lag.ts'
import { seededRandom } from '../../src/sim/market.ts'
import { eventually, testEnv } from '../helpers/stack.ts'

/** Malformed frames of many shapes: broken JSON, wrong types, unknown channels, bad decimals, junk bytes. */
function fuzzedFrames(n: number, seed: number): string[] {
  const random = seededRandom(seed)
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)] as T
  const valid =
    '["BTCUSDT@trade",{"isBuyOrder":true,"quantity":"1.5","price":"100","timestamp":"2025-06-01T09:33:41Z"}]'
  const makers: (() => string)[] = [
    () => valid.slice(0, Math.floor(random() * (valid.length - 1))), // truncated
    () => valid.replace('"100"', pick(['"-5"', '"abc"', 'null', '"1,5"', '""'])),
    () => valid.replace('"1.5"', pick(['"NaN"', '"-1"', '{}', '[]'])),
    () => valid.replace('2025-06-01T09:33:41Z', pick(['yesterday', '', '2025-13-45T99:00:00Z'])),
    () => valid.replace('true', pick(['"yes"', '1', 'null'])),
    () =>
      valid.replace('BTCUSDT@trade', pick(['BTCUSDT@sellbuyDepth', 'btc usdt@trade', '@trade', 'BTCUSDT@'])),
    () =>
      `["BTCUSDT@buyDepth",${pick(['"nope"', '[{"price":1}]', '[{"price":"x","quantity":1}]', '[null]'])}]`,
    () =>
      Array.from({ length: 1 + Math.floor(random() * 40) }, () =>
        String.fromCharCode(Math.floor(random() * 65536))
      ).join(''),
    () => pick(['[', ']', '[1,2,3', '{"push":', 'null"', '["a"', '[true,false'])
  ]
  return Array.from({ length: n }, () => pick(makers)())
}

test('10,000 fuzzed frames: the feed never crashes, counts each, and dead-letters each', async (t) => {
  const env = await testEnv(t)
  const { feed, sockets } = await feedWithLocalExchange(t, env)
  const frames = fuzzedFrames(10_000, 7)
  for (const frame of frames) sockets[0]!.send(frame)
  sockets[0]!.send(
    '["BTCUSDT@trade",{"isBuyOrder":true,"quantity":"1.5","price":"100","timestamp":"2025-06-01T09:33:41Z"}]'
  )
  await eventually(
    async () => feed.publisher.counts.get('trade') === 1,
    () => `rejected ${feed.publisher.rejectedCount}, trades ${feed.publisher.counts.get('trade')}`,
    30_000
  )
  // Some fuzzed frames are valid frames the feed ignores (e.g. a bare `[1,2,3]` is not a Wallex frame at all).
  const rejected = feed.publisher.rejectedCount
  assert.ok(rejected >= 9_000, `most fuzzed frames are rejected with a reason (${rejected})`)
  assert.equal(sockets.length, 1, 'no reconnect: bad frames never broke the connection')
  await feed.publisher.flush()
  const admin = createAdmin(env.config.kafka)
  const ends = await endOffsets(admin, [env.config.topics.dlq]).finally(() => admin.close())
  assert.equal(
    [...ends.values()].reduce((a, b) => a + b, 0n),
    BigInt(rejected),
    'every rejected frame is in the DLQ'
  )
})
