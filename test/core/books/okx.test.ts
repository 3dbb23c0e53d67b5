import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  OkxBookSync,
  okxChecksum,
  okxChecksumString,
  type OkxBookFrame,
  type OkxLevel
} from '../../../src/core/books/okx.ts'

const l = (price: string, size: string): OkxLevel => ({ price, size })
const frame = (
  action: 'snapshot' | 'update',
  prevSeqId: number,
  seqId: number,
  bids: OkxLevel[] = [],
  asks: OkxLevel[] = [],
  checksum = 0
): OkxBookFrame => ({ action, bids, asks, ts: 1_700_000_000_000 + seqId, checksum, prevSeqId, seqId })

test("legacy checksum: the docs' two worked strings, signed CRC32 (verified vectors)", () => {
  // More than 25 levels a side (2 shown): interleaved bid, ask.
  const bids = [l('3366.1', '7'), l('3366', '6')]
  const asks = [l('3366.8', '9'), l('3368', '8')]
  assert.equal(okxChecksumString(bids, asks), '3366.1:7:3366.8:9:3366:6:3368:8')
  assert.equal(okxChecksum(bids, asks), -1881014294)
  // Fewer bids than asks: the longer side goes on alone.
  const fewer = { bids: [l('3366.1', '7')], asks: [l('3366.8', '9'), l('3368', '8'), l('3372', '8')] }
  assert.equal(okxChecksumString(fewer.bids, fewer.asks), '3366.1:7:3366.8:9:3368:8:3372:8')
  assert.equal(okxChecksum(fewer.bids, fewer.asks), 831078360)
  // Only the best 25 a side, text as sent (trailing zeros matter).
  const deep = Array.from({ length: 30 }, (_, i) => l(String(100 - i), '1.50'))
  assert.equal(okxChecksumString(deep, []).split(':').length, 50)
  assert.ok(okxChecksumString(deep, []).startsWith('100:1.50:99:1.50'))
})

test('WS snapshot, then updates chained by prevSeqId; zero deletes; top is best first', () => {
  const book = new OkxBookSync()
  assert.equal(book.update(frame('update', 1, 2)).kind, 'unsynced', 'no snapshot yet, not buffering: dropped')
  const snapshot = frame(
    'snapshot',
    -1,
    10,
    [l('100.5', '1'), l('100', '2')],
    [l('101', '3'), l('101.50', '4')]
  )
  assert.deepEqual(book.snapshot(snapshot), { kind: 'applied' })
  assert.deepEqual(book.update(frame('update', 10, 15, [l('100.5', '0'), l('100.7', '0.10')])), {
    kind: 'applied'
  })
  assert.deepEqual(book.top(20), {
    bids: [
      ['100.7', '0.10'],
      ['100', '2']
    ],
    asks: [
      ['101', '3'],
      ['101.50', '4']
    ]
  })
  assert.equal(book.seqId, 15)
  assert.equal(book.lastTs, 1_700_000_000_015)
})

test("keep-alive (prevSeqId == seqId, empty) changes nothing; a reset (seqId < prevSeqId) is applied — the docs' sequence", () => {
  const book = new OkxBookSync()
  book.snapshot(frame('snapshot', -1, 10, [l('1', '1')], [l('2', '1')]))
  assert.equal(book.update(frame('update', 10, 15, [l('1', '2')])).kind, 'applied')
  assert.equal(book.update(frame('update', 15, 15)).kind, 'unchanged')
  assert.equal(book.update(frame('update', 15, 3, [l('1', '3')])).kind, 'applied', 'reset after maintenance')
  assert.equal(book.update(frame('update', 3, 5, [], [l('2', '4')])).kind, 'applied')
  assert.deepEqual(book.top(1), { bids: [['1', '3']], asks: [['2', '4']] })
})

test('a gap (prevSeqId is not the last seqId) discards the book: resync', () => {
  const book = new OkxBookSync()
  book.snapshot(frame('snapshot', -1, 10, [l('1', '1')], [l('2', '1')]))
  const verdict = book.update(frame('update', 11, 12, [l('1', '5')]))
  assert.equal(verdict.kind, 'resync')
  assert.match((verdict as { reason: string }).reason, /sequence gap: prevSeqId 11, last seqId 10/)
  assert.equal(book.synced, false)
  // It buffers from the frame that showed the gap on: a REST book taken now (S = 11.5) may sit inside it.
  assert.equal(book.update(frame('update', 12, 13)).kind, 'buffered')
  assert.equal(book.seed({ seqId: 11, ts: 1, bids: [l('1', '4')], asks: [] }).kind, 'applied')
  assert.deepEqual(book.top(1).bids, [['1', '5']], 'the gap frame applied over the REST book')
  assert.equal(book.seqId, 13)
  // For a WS snapshot resync the session resets the book: updates are dropped until the snapshot.
  book.update(frame('update', 20, 21))
  book.reset()
  assert.equal(book.update(frame('update', 21, 22)).kind, 'unsynced')
})

test('a non-zero checksum is verified after applying; 0 is not checked', () => {
  const bids = [l('3366.1', '7'), l('3366', '6')]
  const asks = [l('3366.8', '9'), l('3368', '8')]
  const book = new OkxBookSync()
  assert.equal(book.snapshot(frame('snapshot', -1, 1, bids, asks, -1881014294)).kind, 'applied')
  // Remove bid 3366 and add ask 3372: the docs' second string.
  const next = frame('update', 1, 2, [l('3366', '0')], [l('3372', '8')], 831078360)
  assert.equal(book.update(next).kind, 'applied')
  assert.equal(book.checksum(), 831078360)
  assert.equal(book.update(frame('update', 2, 3, [l('3366.1', '8')], [], 0)).kind, 'applied', 'zero: skipped')
  const wrong = book.update(frame('update', 3, 4, [l('3366.1', '9')], [], 12345))
  assert.equal(wrong.kind, 'resync')
  assert.match((wrong as { reason: string }).reason, /checksum mismatch/)
  assert.equal(book.synced, false)
  assert.equal(book.buffered, 1, 'the frame is kept for a REST seed')
  // A snapshot with a wrong checksum is refused too (and not kept).
  assert.equal(book.snapshot(frame('snapshot', -1, 9, bids, asks, 1)).kind, 'resync')
  assert.equal(book.buffered, 0)
})

test('REST seeding: buffered updates before S dropped, the straddling one applied (prevSeqId <= S < seqId)', () => {
  const book = new OkxBookSync()
  book.bufferUpdates()
  assert.equal(book.update(frame('update', 5, 10, [l('1', '1')])).kind, 'buffered')
  assert.equal(book.update(frame('update', 10, 20, [l('1', '2'), l('0.5', '1')])).kind, 'buffered')
  assert.equal(book.update(frame('update', 20, 25, [], [l('3', '1')])).kind, 'buffered')
  // REST at S = 17: inside the 10 -> 20 update (which re-applies absolute sizes).
  const verdict = book.seed({ seqId: 17, ts: 1, bids: [l('1', '2'), l('0.9', '1')], asks: [l('2', '1')] })
  assert.deepEqual(verdict, { kind: 'applied' })
  assert.equal(book.seqId, 25)
  assert.deepEqual(book.top(5), {
    bids: [
      ['1', '2'],
      ['0.9', '1'],
      ['0.5', '1']
    ],
    asks: [
      ['2', '1'],
      ['3', '1']
    ]
  })
  assert.equal(book.update(frame('update', 25, 26)).kind, 'applied')
  assert.equal(book.update(frame('update', 27, 28)).kind, 'resync', 'then the strict rule')
})

test('REST seeding: a snapshot older than the buffer is refused (refetch); one newer than all waits for the next update', () => {
  const book = new OkxBookSync()
  book.bufferUpdates()
  book.update(frame('update', 30, 40, [l('1', '1')]))
  assert.deepEqual(book.seed({ seqId: 20, ts: 1, bids: [], asks: [] }), { kind: 'refetch' })
  assert.equal(book.synced, false)
  assert.equal(book.buffered, 1)
  // Newer than everything buffered: synced at S; the next live update may straddle S.
  assert.deepEqual(book.seed({ seqId: 45, ts: 1, bids: [l('1', '1')], asks: [] }), { kind: 'applied' })
  assert.equal(book.update(frame('update', 40, 44)).kind, 'unchanged', 'already in the snapshot')
  assert.equal(book.update(frame('update', 44, 50, [l('1', '3')])).kind, 'applied')
  assert.deepEqual(book.top(1).bids, [['1', '3']])
  // A WS snapshot wins over a late REST book.
  const other = new OkxBookSync()
  other.bufferUpdates()
  other.snapshot(frame('snapshot', -1, 100, [l('9', '9')]))
  assert.deepEqual(other.seed({ seqId: 90, ts: 1, bids: [], asks: [] }), { kind: 'unchanged' })
  assert.deepEqual(other.top(1).bids, [['9', '9']])
})

test('REST seeding: a gap among the buffered updates is a resync; the updates from the gap on stay buffered', () => {
  const book = new OkxBookSync()
  book.bufferUpdates()
  book.update(frame('update', 10, 20))
  book.update(frame('update', 21, 30))
  book.update(frame('update', 30, 31))
  assert.equal(book.seed({ seqId: 15, ts: 1, bids: [], asks: [] }).kind, 'resync')
  assert.equal(book.buffered, 2)
  assert.equal(book.seed({ seqId: 25, ts: 1, bids: [], asks: [] }).kind, 'applied')
  assert.equal(book.seqId, 31)
})

test('each side keeps its best 400 levels (OKX sends no deletes for levels pushed out)', () => {
  const book = new OkxBookSync()
  const bids = Array.from({ length: 400 }, (_, i) => l(String(1000 - i), '1'))
  book.snapshot(frame('snapshot', -1, 1, bids, []))
  book.update(frame('update', 1, 2, [l('1001', '1')]))
  const top = book.top(500).bids
  assert.equal(top.length, 400)
  assert.deepEqual(top[0], ['1001', '1'])
  assert.deepEqual(top.at(-1), ['602', '1'])
})
