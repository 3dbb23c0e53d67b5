import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DepthThrottle } from '../../src/core/depth-throttle.ts'
import type { PriceLevel } from '../../src/core/messages.ts'

test('10 side updates a second for 30 s yield one snapshot per 7 s, each with both sides', () => {
  const throttle = new DepthThrottle(7_000)
  const snapshots = []
  for (let t = 0; t < 30_000; t += 100) {
    const side = (t / 100) % 2 === 0 ? 'bids' : 'asks'
    const levels: PriceLevel[] = [[`${1000 + t / 100}`, '1']]
    const snapshot = throttle.update('wallex', 'BTCUSDT', side, levels, t)
    if (snapshot) snapshots.push(snapshot)
  }
  assert.equal(snapshots.length, 5) // t = 100 (first with both sides), 7100, 14100, 21100, 28100
  assert.deepEqual(
    snapshots.map((s) => s.ts),
    [100, 7100, 14100, 21100, 28100]
  )
  for (const s of snapshots) {
    assert.ok(s.bids.length > 0 && s.asks.length > 0)
    // The latest of each side: asks were updated at s.ts, bids 100 ms before.
    assert.equal(s.asks[0]?.[0], `${1000 + s.ts / 100}`)
    assert.equal(s.bids[0]?.[0], `${1000 + s.ts / 100 - 1}`)
  }
})

test('symbols are throttled independently', () => {
  const throttle = new DepthThrottle(7_000)
  const one: PriceLevel[] = [['1', '1']]
  throttle.update('wallex', 'A', 'bids', one, 0)
  throttle.update('wallex', 'B', 'bids', one, 0)
  assert.ok(throttle.update('wallex', 'A', 'asks', one, 1))
  assert.ok(throttle.update('wallex', 'B', 'asks', one, 2))
  assert.equal(throttle.update('wallex', 'A', 'asks', one, 3), null)
})
