import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  BatchOffsets,
  OffsetTracker,
  partitionKey,
  type CommitPosition
} from '../../src/core/offset-tracker.ts'

const T = 'market.trades'
const D = 'market.depth'
const key0 = partitionKey({ topic: T, partition: 0 })
const key1 = partitionKey({ topic: T, partition: 1 })
const depth0 = partitionKey({ topic: D, partition: 0 })

function readRange(batch: BatchOffsets, partition: number, from: number, to: number): void {
  for (let offset = from; offset <= to; offset++) batch.read(T, partition, BigInt(offset))
}

/** partition -> offset, for readable assertions. */
function positions(list: CommitPosition[]): Record<string, bigint> {
  return Object.fromEntries(list.map((p) => [partitionKey(p), p.offset]))
}

test('partitionKey is topic:partition', () => {
  assert.equal(partitionKey({ topic: 'market.depth', partition: 3 }), 'market.depth:3')
})

test('a batch records the lowest and highest offset of each partition it reads, in the order first read', () => {
  const batch = new BatchOffsets()
  batch.read(T, 3, 17n)
  batch.read(T, 1, 5n)
  batch.read(T, 3, 12n)
  batch.read(T, 1, 9n)
  batch.read(T, 3, 15n)
  batch.read(D, 3, 2n)
  assert.deepEqual(
    batch.ranges.map(({ key, topic, partition, first, last }) => ({ key, topic, partition, first, last })),
    [
      { key: `${T}:3`, topic: T, partition: 3, first: 12n, last: 17n },
      { key: `${T}:1`, topic: T, partition: 1, first: 5n, last: 9n },
      { key: `${D}:3`, topic: D, partition: 3, first: 2n, last: 2n }
    ]
  )
  assert.notEqual(new BatchOffsets().id, batch.id)
})

test('nothing seen, nothing to commit', () => {
  assert.deepEqual(new OffsetTracker().commitable(), [])
})

test('offsets a batch made outside the tracker hold nothing', () => {
  const tracker = new OffsetTracker()
  readRange(new BatchOffsets(), 0, 0, 9)
  assert.deepEqual(tracker.commitable(), [])
})

test('the commit position never passes an offset that is still held', () => {
  const tracker = new OffsetTracker()
  const first = tracker.startBatch()
  readRange(first, 0, 0, 9)
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 0n })
  const second = tracker.startBatch()
  readRange(second, 0, 10, 19)
  tracker.settle(second.id)
  // Batch 2 is acknowledged but batch 1 (0..9) is not: position stays at 0.
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 0n })
  tracker.settle(first.id)
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 20n })
})

test('out-of-order settling of three batches advances only to the lowest held offset', () => {
  const tracker = new OffsetTracker()
  const batches = [tracker.startBatch(), tracker.startBatch(), tracker.startBatch()] as const
  batches.forEach((batch, i) => readRange(batch, 0, i * 5, i * 5 + 4))
  tracker.settle(batches[2].id)
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 0n })
  tracker.settle(batches[0].id)
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 5n })
  tracker.settle(batches[1].id)
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 15n })
})

test('one batch spanning partitions holds each of them until it settles', () => {
  const tracker = new OffsetTracker()
  const first = tracker.startBatch()
  const second = tracker.startBatch()
  first.read(T, 0, 100n)
  first.read(T, 1, 7n)
  second.read(T, 0, 101n)
  second.read(T, 1, 8n)
  second.read(D, 0, 3n)
  tracker.settle(second.id)
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 100n, [key1]: 7n, [depth0]: 4n })
  tracker.settle(first.id)
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 102n, [key1]: 9n, [depth0]: 4n })
})

test('settling an unknown or already settled batch changes nothing', () => {
  const tracker = new OffsetTracker()
  const first = tracker.startBatch()
  first.read(T, 0, 10n)
  tracker.settle(first.id)
  const second = tracker.startBatch()
  second.read(T, 0, 11n)
  tracker.settle(first.id)
  tracker.settle(12_345_678)
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 11n })
})

test('owned limits commitable to the partitions this instance owns', () => {
  const tracker = new OffsetTracker()
  const batch = tracker.startBatch()
  batch.read(T, 0, 5n)
  batch.read(T, 1, 6n)
  tracker.settle(batch.id)
  assert.deepEqual(positions(tracker.commitable(new Set([key1]))), { [key1]: 7n })
  assert.deepEqual(tracker.commitable(new Set()), [])
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 6n, [key1]: 7n })
})

test('after markCommitted, commitable returns only positions that advanced', () => {
  const tracker = new OffsetTracker()
  const batch = tracker.startBatch()
  readRange(batch, 0, 0, 9)
  batch.read(T, 1, 0n)
  tracker.settle(batch.id)
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

  const next = tracker.startBatch()
  readRange(next, 0, 10, 14)
  assert.deepEqual(tracker.commitable(), [], 'held at 10, which is already committed')
  tracker.settle(next.id)
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 15n }, 'partition 1 did not move')
})

test('markCommitted never moves the committed position backwards', () => {
  const tracker = new OffsetTracker()
  const batch = tracker.startBatch()
  batch.read(T, 0, 9n)
  tracker.settle(batch.id)
  tracker.markCommitted([{ topic: T, partition: 0, offset: 10n }])
  tracker.markCommitted([{ topic: T, partition: 0, offset: 4n }])
  assert.equal(tracker.committedOffsets().get(key0), 10n)
})

test('re-delivered lower offsets after a rebalance hold the partition back again', () => {
  const tracker = new OffsetTracker()
  const first = tracker.startBatch()
  readRange(first, 0, 100, 200)
  tracker.settle(first.id)
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 201n })
  // The commit of 201 did not happen (the partition was taken away); it comes back from offset 50.
  const second = tracker.startBatch()
  second.read(T, 0, 50n)
  for (const position of tracker.commitable()) assert.ok(position.offset <= 50n, `${position.offset}`)
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 50n })
  readRange(second, 0, 51, 120)
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 50n })
  tracker.settle(second.id)
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 201n })
})

test('a lower offset re-delivered into a batch still filling holds the partition from there', () => {
  const tracker = new OffsetTracker()
  const batch = tracker.startBatch()
  readRange(batch, 0, 100, 110)
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 100n })
  readRange(batch, 0, 60, 70)
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 60n })
  tracker.settle(batch.id)
  assert.deepEqual(positions(tracker.commitable()), { [key0]: 111n })
})

test('forget drops partitions no longer owned, but never one with held offsets', () => {
  const tracker = new OffsetTracker()
  const first = tracker.startBatch()
  const second = tracker.startBatch()
  first.read(T, 0, 1n)
  second.read(T, 1, 1n)
  tracker.settle(first.id)
  tracker.forget(new Set())
  // Partition 0 had nothing held: forgotten. Partition 1 still holds offset 1.
  assert.deepEqual(positions(tracker.commitable()), { [key1]: 1n })
  assert.deepEqual([...tracker.committedOffsets().keys()], [key1])
  tracker.settle(second.id)
  assert.deepEqual(positions(tracker.commitable()), { [key1]: 2n })
})
