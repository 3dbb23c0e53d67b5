import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  BinanceBookSync,
  compareDecimalKeys,
  decimalKey,
  type DepthUpdate
} from '../../src/core/order-book.ts'
import type { PriceLevel } from '../../src/core/messages.ts'

const update = (U: number, u: number, bids: PriceLevel[] = [], asks: PriceLevel[] = []): DepthUpdate => ({
  symbol: 'BNBBTC',
  eventTs: 1672515782000 + u,
  firstId: U,
  finalId: u,
  bids,
  asks
})

test('decimal keys compare numerically without floats', () => {
  assert.equal(decimalKey('0.00240'), '0.0024')
  assert.equal(decimalKey('010.0'), '10')
  const sorted = ['10', '9.99', '0.5', '0.45', '100', '0.0024', '9.999999999999999999'].sort(
    compareDecimalKeys
  )
  assert.deepEqual(sorted, ['0.0024', '0.45', '0.5', '9.99', '9.999999999999999999', '10', '100'])
  // Beyond float precision: these two are equal as doubles, not as decimals.
  assert.ok(compareDecimalKeys('12345678901234567.1', '12345678901234567.2') < 0)
})

test('events buffer until a snapshot; a snapshot older than the first buffered event is refused', () => {
  const book = new BinanceBookSync()
  assert.equal(book.event(update(157, 160, [['0.0024', '10']])), 'buffered')
  assert.equal(book.synced, false)
  assert.equal(book.snapshot({ lastUpdateId: 150, bids: [], asks: [] }), 'refetch')
  assert.equal(book.synced, false)
  assert.equal(book.buffered, 1, 'the buffer is kept for the next snapshot')
  assert.equal(book.snapshot({ lastUpdateId: 158, bids: [['0.0023', '5']], asks: [] }), 'applied')
  assert.equal(book.lastUpdateId, 160)
  assert.deepEqual(book.top(5).bids, [
    ['0.0024', '10'],
    ['0.0023', '5']
  ])
})

test('buffered events already in the snapshot are dropped; the first applied one straddles it', () => {
  const book = new BinanceBookSync()
  book.event(update(150, 155, [['1.0', '99']])) // u <= lastUpdateId: already in the snapshot
  book.event(update(156, 160, [['1.0', '7']])) // straddles: U <= 158 + 1 <= u
  book.event(update(161, 162, [], [['2.5', '3']]))
  assert.equal(book.snapshot({ lastUpdateId: 158, bids: [['1.0', '8']], asks: [['2.0', '1']] }), 'applied')
  assert.equal(book.lastUpdateId, 162)
  assert.deepEqual(book.top(10), {
    bids: [['1.0', '7']],
    asks: [
      ['2.0', '1'],
      ['2.5', '3']
    ]
  })
  assert.equal(book.lastEventTs, 1672515782000 + 162)
})

test('a snapshot when nothing is buffered: the next event must straddle it, or it is a gap', () => {
  const book = new BinanceBookSync()
  assert.equal(book.snapshot({ lastUpdateId: 100, bids: [], asks: [] }), 'applied')
  assert.equal(book.event(update(95, 100)), 'stale')
  assert.equal(book.event(update(99, 103, [['5', '1']])), 'ok')
  assert.equal(book.lastUpdateId, 103)
})

test('after sync: stale events are ignored, a gap discards the book and buffers for a resync', () => {
  const book = new BinanceBookSync()
  book.event(update(100, 101))
  assert.equal(book.snapshot({ lastUpdateId: 101, bids: [['1', '1']], asks: [['2', '1']] }), 'applied')
  assert.equal(book.event(update(102, 104, [['1.5', '2']])), 'ok')
  assert.equal(book.event(update(103, 104, [['1.5', '999']])), 'stale', 'u <= local')
  assert.deepEqual(book.top(1).bids, [['1.5', '2']])
  assert.equal(book.event(update(107, 109)), 'gap', 'U > local + 1: 105..106 were missed')
  assert.equal(book.synced, false)
  assert.deepEqual(book.top(5), { bids: [], asks: [] })
  assert.equal(book.event(update(110, 111, [['1.6', '1']])), 'buffered')
  assert.equal(book.snapshot({ lastUpdateId: 106, bids: [], asks: [] }), 'refetch', 'older than event 107')
  assert.equal(book.snapshot({ lastUpdateId: 109, bids: [['1.4', '4']], asks: [] }), 'applied')
  assert.equal(book.lastUpdateId, 111)
  assert.deepEqual(book.top(5).bids, [
    ['1.6', '1'],
    ['1.4', '4']
  ])
})

test('a hole inside the buffer is a gap when the snapshot is replayed', () => {
  const book = new BinanceBookSync()
  book.event(update(10, 12))
  book.event(update(15, 16)) // 13..14 missing
  book.event(update(17, 18))
  assert.equal(book.snapshot({ lastUpdateId: 11, bids: [], asks: [] }), 'gap')
  assert.equal(book.synced, false)
  assert.equal(book.buffered, 2, 'the events from the gap on wait for the next snapshot')
  assert.equal(book.snapshot({ lastUpdateId: 16, bids: [], asks: [] }), 'applied')
  assert.equal(book.lastUpdateId, 18)
})

test('quantity 0 deletes a level, in any spelling; levels keep the price text as sent', () => {
  const book = new BinanceBookSync()
  book.snapshot({
    lastUpdateId: 1,
    bids: [
      ['0.00240000', '10.00000000'],
      ['0.00230000', '1.00000000']
    ],
    asks: [['0.00260000', '100.00000000']]
  })
  book.event(update(2, 2, [['0.0024', '0.00000000']], [['0.00260000', '0']]))
  assert.deepEqual(book.top(5), { bids: [['0.00230000', '1.00000000']], asks: [] })
  book.event(update(3, 3, [['0.00230000', '0.5']]))
  assert.deepEqual(book.top(5).bids, [['0.00230000', '0.5']], 'absolute, not added')
})

test('top(n): bids descending, asks ascending, at most n', () => {
  const book = new BinanceBookSync()
  const prices = ['9.5', '10', '99.99', '100.01', '9.05', '1000']
  book.snapshot({
    lastUpdateId: 1,
    bids: prices.map((p) => [p, '1'] as PriceLevel),
    asks: prices.map((p) => [p, '2'] as PriceLevel)
  })
  assert.deepEqual(
    book.top(3).bids.map(([p]) => p),
    ['1000', '100.01', '99.99']
  )
  assert.deepEqual(
    book.top(3).asks.map(([p]) => p),
    ['9.05', '9.5', '10']
  )
  assert.equal(book.top(100).bids.length, 6)
})

test('reset (a new connection) forgets the book and the buffer', () => {
  const book = new BinanceBookSync()
  book.event(update(5, 6))
  book.snapshot({ lastUpdateId: 5, bids: [['1', '1']], asks: [] })
  book.reset()
  assert.equal(book.synced, false)
  assert.equal(book.buffered, 0)
  assert.deepEqual(book.top(5), { bids: [], asks: [] })
})
