import assert from 'node:assert/strict'
import { test } from 'node:test'
import { missingIds, sequentialId, TradeGaps } from '../../src/core/trade-gaps.ts'

const one = (id: number) => ({ first: BigInt(id), last: BigInt(id) })

test('consecutive ids are no gap; a skipped range is one, with where to start and where it ends', () => {
  const gaps = new TradeGaps()
  assert.equal(gaps.observe('BTCUSDT', one(10), 1000), null, 'the first trade seen starts the sequence')
  assert.equal(gaps.observe('BTCUSDT', one(11), 1001), null)
  const gap = gaps.observe('BTCUSDT', one(15), 1005)
  assert.deepEqual(gap, { symbol: 'BTCUSDT', after: { id: 11n, ts: 1001 }, before: 15n })
  assert.equal(missingIds(gap!), 3n)
  assert.equal(gaps.observe('BTCUSDT', one(16), 1006), null, 'the sequence goes on from the new id')
})

test('re-sent and late trades are not gaps; symbols are independent', () => {
  const gaps = new TradeGaps()
  gaps.observe('A', one(100), 1)
  assert.equal(gaps.observe('A', one(99), 1), null, 'older than the last seen')
  assert.equal(gaps.observe('A', one(100), 1), null, 'the same trade again')
  assert.equal(gaps.observe('B', one(5), 1), null, 'another symbol starts its own sequence')
  assert.equal(gaps.observe('A', one(101), 2), null)
})

test('aggregated trades cover a range of ids (OKX): the next one must start right after the last', () => {
  const gaps = new TradeGaps()
  gaps.observe('X', { first: 1n, last: 3n }, 1)
  assert.equal(gaps.observe('X', { first: 4n, last: 6n }, 2), null)
  assert.deepEqual(gaps.observe('X', { first: 9n, last: 9n }, 3), {
    symbol: 'X',
    after: { id: 6n, ts: 2 },
    before: 9n
  })
})

test('only decimal integer ids are sequential (ids past 2^53 stay exact)', () => {
  assert.equal(sequentialId('12345'), 12345n)
  assert.equal(sequentialId('9007199254740993'), 9007199254740993n)
  for (const id of ['', '01', '-1', '1.5', '20f43950-9d7b-4c2b', 'wallex-derived:abc'])
    assert.equal(sequentialId(id), null, id)
})
