import assert from 'node:assert/strict'
import { test } from 'node:test'
import { OffsetTracker } from '../../src/core/offset-tracker.ts'
import { PendingAcks } from '../../src/core/pending-acks.ts'

test('deliveries are numbered in arrival order and handed back below a position, oldest first', () => {
  const pending = new PendingAcks<string>()
  assert.deepEqual(
    ['a', 'b', 'c', 'd'].map((d) => pending.hold(d, 0)),
    [0n, 1n, 2n, 3n]
  )
  assert.deepEqual(pending.takeBelow(0n), [])
  assert.deepEqual(pending.takeBelow(2n), ['a', 'b'])
  assert.deepEqual(pending.takeBelow(2n), [], 'each is handed back once')
  assert.equal(pending.size, 2)
  assert.equal(pending.hold('e', 0), 4n, 'the counter never goes back, even for a redelivered message')
  assert.deepEqual(pending.takeBelow(10n), ['c', 'd', 'e'])
  assert.equal(pending.size, 0)
})

test('with the offset tracker: a delivery is acknowledged only once every batch before it settled', () => {
  const tracker = new OffsetTracker()
  const pending = new PendingAcks<string>()
  const topic = 'nats:MARKET'
  const read = (batch: ReturnType<OffsetTracker['startBatch']>, delivery: string) =>
    batch.read(topic, 7, pending.hold(delivery, 0))
  // Trades and depth interleave into two lanes' batches; the depth batch settles first.
  const trades = tracker.startBatch()
  const depth = tracker.startBatch()
  read(trades, 't0')
  read(depth, 'd1')
  read(trades, 't2')
  read(depth, 'd3')
  tracker.settle(depth.id)
  const ack = () => tracker.commitable().flatMap((p) => pending.takeBelow(p.offset))
  assert.deepEqual(ack(), [], 't0 still held: nothing after it either')
  tracker.settle(trades.id)
  assert.deepEqual(ack(), ['t0', 'd1', 't2', 'd3'])
  // A redelivery read after that commit gets a higher number, so it is held and acknowledged too.
  const later = tracker.startBatch()
  read(later, 't0 again')
  tracker.markCommitted([{ topic, partition: 7, offset: 4n }])
  tracker.settle(later.id)
  assert.deepEqual(ack(), ['t0 again'])
})

test('leases due for renewal: held longer than the bound, each renewed once per period', () => {
  const pending = new PendingAcks<string>()
  pending.hold('old', 1_000)
  pending.hold('new', 5_000)
  assert.deepEqual(pending.due(2_000, 6_000), ['old'])
  assert.deepEqual(pending.due(2_000, 6_500), [], 'renewed at 6,000')
  assert.deepEqual(pending.due(7_000, 8_000), ['old', 'new'])
  pending.takeBelow(1n)
  assert.deepEqual(pending.due(9_000, 9_000), ['new'])
  assert.deepEqual(pending.takeAll(), ['new'])
  assert.equal(pending.size, 0)
})

test('a long run compacts: memory follows what is held, not what was ever delivered', () => {
  const pending = new PendingAcks<number>()
  for (let i = 0; i < 100_000; i++) {
    pending.hold(i, 0)
    if (i % 1_000 === 999) assert.equal(pending.takeBelow(BigInt(i - 10)).length > 0, true)
  }
  assert.ok(pending.size <= 1_010)
  assert.deepEqual(pending.takeBelow(100_000n).at(-1), 99_999)
})
