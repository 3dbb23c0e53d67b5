import assert from 'node:assert/strict'
import { test } from 'node:test'
import { OffsetTracker, partitionKey, type CommitPosition } from '../../src/core/offset-tracker.ts'

const T = 'market.trades'
const key0 = partitionKey(T, 0)
const key1 = partitionKey(T, 1)

function holdRange(tracker: OffsetTracker, partition: number, from: number, to: number, batch: number): void {
  for (let offset = from; offset <= to; offset++) tracker.hold(T, partition, BigInt(offset), batch)
}

/** partition -> offset, for readable assertions. */
function positions(list: CommitPosition[]): Record<string, bigint> {
  return Object.fromEntries(list.map((p) => [partitionKey(p.topic, p.partition), p.offset]))
}

test('partitionKey is topic:partition', () => {
  assert.equal(partitionKey('market.depth', 3), 'market.depth:3')
})

test('nothing seen, nothing to commit', () => {
  assert.deepEqual(new OffsetTracker().commitable(), [])
})

test('the commit position never passes an offset that is still held', () => {
  const tracker = new OffsetTracker()
  holdRange(tracker, 0, 0, 9, 1)
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 0n })
  holdRange(tracker, 0, 10, 19, 2)
  tracker.release(2, [key0])
  // Batch 2 is acknowledged but batch 1 (0..9) is not: position stays at 0.
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 0n })
  tracker.release(1, [key0])
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 20n })
})

test('out-of-order release of three batches advances only to the lowest held offset', () => {
  const tracker = new OffsetTracker()
  holdRange(tracker, 0, 0, 4, 1)
  holdRange(tracker, 0, 5, 9, 2)
  holdRange(tracker, 0, 10, 14, 3)
  tracker.release(3, [key0])
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 0n })
  tracker.release(1, [key0])
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 5n })
  tracker.release(2, [key0])
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 15n })
})

test('one batch spanning partitions holds each of them', () => {
  const tracker = new OffsetTracker()
  tracker.hold(T, 0, 100n, 1)
  tracker.hold(T, 1, 7n, 1)
  tracker.hold(T, 0, 101n, 2)
  tracker.hold(T, 1, 8n, 2)
  tracker.hold('market.depth', 0, 3n, 2)
  tracker.release(2, [key0, key1, partitionKey('market.depth', 0)])
  assert.deepEqual(positions(tracker.commitable()), {
    [key0]: 100n,
    [key1]: 7n,
    'market.depth:0': 4n
  })
  tracker.release(1, [key0, key1])
  assert.deepEqual(positions(tracker.commitable()), {
    [key0]: 102n,
    [key1]: 9n,
    'market.depth:0': 4n
  })
})

test('releasing a batch for one partition does not free it on another', () => {
  const tracker = new OffsetTracker()
  tracker.hold(T, 0, 10n, 1)
  tracker.hold(T, 1, 20n, 1)
  tracker.release(1, [key0])
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 11n, [key1]: 20n })
})

test('owned limits commitable to the partitions this instance owns', () => {
  const tracker = new OffsetTracker()
  tracker.hold(T, 0, 5n, 1)
  tracker.hold(T, 1, 6n, 1)
  tracker.release(1, [key0, key1])
  assert.deepEqual(positions(tracker.commitable(new Set([key1]))), { [key1]: 7n })
  assert.deepEqual(tracker.commitable(new Set()), [])
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 6n, [key1]: 7n })
})

test('after markCommitted, commitable returns only positions that advanced', () => {
  const tracker = new OffsetTracker()
  holdRange(tracker, 0, 0, 9, 1)
  tracker.hold(T, 1, 0n, 1)
  tracker.release(1, [key0, key1])
  const first = tracker.commitable()
  assert.deepEqual(positions(first), { [key0]: 10n, [key1]: 1n })
  tracker.markCommitted(first)
  assert.deepEqual(tracker.commitable(), [])
  assert.deepEqual(
    tracker.committedOffsets(),
    new Map([
      [key0, 10n],
      [key1, 1n]
    ])
  )

  holdRange(tracker, 0, 10, 14, 2)
  assert.deepEqual(tracker.commitable(), [], 'held at 10, which is already committed')
  tracker.release(2, [key0])
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 15n }, 'partition 1 did not move')
})

test('markCommitted never moves the committed position backwards', () => {
  const tracker = new OffsetTracker()
  tracker.hold(T, 0, 9n, 1)
  tracker.release(1, [key0])
  tracker.markCommitted([{ topic: T, partition: 0, offset: 10n }])
  tracker.markCommitted([{ topic: T, partition: 0, offset: 4n }])
  assert.equal(tracker.committedOffsets().get(key0), 10n)
})

test('re-delivered lower offsets after a rebalance hold the partition back again', () => {
  const tracker = new OffsetTracker()
  holdRange(tracker, 0, 100, 200, 1)
  tracker.release(1, [key0])
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 201n })
  // The commit of 201 did not happen (the partition was taken away); it comes back from offset 50.
  tracker.hold(T, 0, 50n, 2)
  for (const position of tracker.commitable()) assert.ok(position.offset <= 50n, `${position.offset}`)
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 50n })
  holdRange(tracker, 0, 51, 120, 2)
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 50n })
  tracker.release(2, [key0])
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 201n })
})

test('forget drops partitions no longer owned, but never one with held offsets', () => {
  const tracker = new OffsetTracker()
  tracker.hold(T, 0, 1n, 1)
  tracker.hold(T, 1, 1n, 2)
  tracker.release(1, [key0])
  tracker.forget(new Set())
  // Partition 0 had nothing held: forgotten. Partition 1 still holds offset 1.
  assert.deepEqual(positions(tracker.commitable()), { [key1]: 1n })
  assert.deepEqual([...tracker.committedOffsets().keys()], [key1])
})
