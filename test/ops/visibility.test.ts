import assert from 'node:assert/strict'
import { test } from 'node:test'
import { counterShares, instanceShares, VisibilityTracker } from '../../src/ops/visibility.ts'

test('every message gets the latency of the first poll that saw it', () => {
  const tracker = new VisibilityTracker()
  tracker.expect('trades', 1000, 100)
  tracker.expect('trades', 1010, 100)
  tracker.expect('depth', 1010, 10)
  assert.equal(tracker.expected, 210)
  assert.equal(tracker.oldestPending('trades'), 1000)

  assert.equal(tracker.observe('trades', [{ recvTs: 1000, rows: 60 }], 1100), 60)
  assert.equal(
    tracker.observe(
      'trades',
      [
        { recvTs: 1000, rows: 100 },
        { recvTs: 1010, rows: 100 }
      ],
      1200
    ),
    140
  )
  assert.equal(tracker.oldestPending('trades'), null)
  assert.equal(tracker.observe('depth', [{ recvTs: 1010, rows: 10 }], 1300), 10)

  assert.equal(tracker.missing, 0)
  assert.equal(tracker.lastSeenAt, 1300)
  // 60 at 100 ms, 40 at 200 ms, 100 at 190 ms, 10 at 290 ms
  assert.deepEqual(tracker.percentiles([0, 25, 50, 90, 99, 100]), [100, 100, 190, 200, 290, 290])
})

test('duplicates count once, merged-away duplicates undo nothing, unknown recv_ts are ignored', () => {
  const tracker = new VisibilityTracker()
  tracker.expect('trades', 1000, 10)
  assert.equal(
    tracker.observe(
      'trades',
      [
        { recvTs: 1000, rows: 12 },
        { recvTs: 999, rows: 5 }
      ],
      1050
    ),
    10
  )
  assert.equal(tracker.observe('trades', [{ recvTs: 1000, rows: 10 }], 1100), 0)
  assert.equal(tracker.observe('quotes', [{ recvTs: 1000, rows: 1 }], 1100), 0)
  assert.equal(tracker.seen, 10)
  assert.deepEqual(tracker.percentiles([50]), [50])
})

test('nothing seen: percentiles are NaN and every message is missing', () => {
  const tracker = new VisibilityTracker()
  tracker.expect('trades', 1000, 5)
  assert.equal(tracker.missing, 5)
  assert.equal(tracker.lastSeenAt, null)
  assert.ok(Number.isNaN(tracker.percentiles([50])[0]))
})

test('per-instance share from messages per partition and partition owners', () => {
  const byPartition = new Map([
    ['t:0', 30],
    ['t:1', 20],
    ['t:2', 0],
    ['t:3', 50]
  ])
  const owners = new Map([
    ['t:0', 'bridge-1'],
    ['t:1', 'bridge-1'],
    ['t:2', 'bridge-2'],
    ['other:0', 'bridge-3']
  ])
  assert.deepEqual(instanceShares(byPartition, owners), {
    shares: [
      { instanceId: 'bridge-1', partitions: 2, messages: 50, share: 50 },
      { instanceId: 'bridge-2', partitions: 1, messages: 0, share: 0 }
    ],
    unowned: 50
  })
})

test('NATS shares: the growth of each bridge counter over the run; a bridge that joined counts from zero', () => {
  const before = new Map([
    ['bridge-1', 1_000],
    ['bridge-2', 500],
    ['bridge-gone', 70]
  ])
  const after = new Map([
    ['bridge-2', 3_500],
    ['bridge-1', 7_000],
    ['bridge-new', 1_000]
  ])
  assert.deepEqual(counterShares(before, after), [
    { instanceId: 'bridge-1', partitions: 0, messages: 6_000, share: 60 },
    { instanceId: 'bridge-2', partitions: 0, messages: 3_000, share: 30 },
    { instanceId: 'bridge-new', partitions: 0, messages: 1_000, share: 10 }
  ])
  assert.deepEqual(counterShares(before, new Map([['bridge-1', 1_000]])), [
    { instanceId: 'bridge-1', partitions: 0, messages: 0, share: 0 }
  ])
})
