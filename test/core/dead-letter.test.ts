import assert from 'node:assert/strict'
import { test } from 'node:test'
import { encodeDeadLetter, groupBySize, type DeadLetterEnvelope } from '../../src/core/dead-letter.ts'

const letter = (value: string | null): DeadLetterEnvelope => ({
  reason: 'unknown message type undefined',
  origin: 'bridge',
  source_topic: 'market.trades',
  partition: 3,
  offset: '1234',
  key: 'wallex:BTCUSDT',
  value,
  exchange: null,
  instance_id: 'b1',
  failed_at: 1,
  truncated: false,
  value_bytes: value === null ? 0 : Buffer.byteLength(value)
})

test('a letter that fits is encoded whole and unmarked', () => {
  const encoded = encodeDeadLetter(letter('{"v":1}'), 4_096)
  assert.deepEqual(JSON.parse(encoded), letter('{"v":1}'))
})

test('a letter too big keeps its reason and origin, cuts its value to fit and says so', () => {
  for (const value of ['x'.repeat(50_000), 'é'.repeat(50_000), '"\\'.repeat(30_000), '💥'.repeat(20_000)]) {
    const encoded = encodeDeadLetter(letter(value), 8_192)
    assert.ok(Buffer.byteLength(encoded) <= 8_192, `fits: ${Buffer.byteLength(encoded)}`)
    const body = JSON.parse(encoded) as DeadLetterEnvelope
    assert.equal(body.truncated, true)
    assert.equal(body.value_bytes, Buffer.byteLength(value))
    assert.equal(body.reason, 'unknown message type undefined')
    assert.equal(body.offset, '1234')
    assert.ok((body.value ?? '').length > 1_000, 'keeps as much of the value as fits')
    assert.ok(value.startsWith((body.value ?? '').replace(/\uFFFD$/, '')), 'a prefix of the original')
  }
})

test('groups by size keep order and stay within the limit; a record alone may be bigger', () => {
  const sizes = [100, 200, 300, 5_000, 50]
  const groups = groupBySize(sizes, (n) => n, 4_000)
  assert.deepEqual(groups.flat(), sizes, 'order kept, nothing lost')
  assert.deepEqual(groups, [[100, 200, 300], [5_000], [50]], 'each record counts its framing too')
})
