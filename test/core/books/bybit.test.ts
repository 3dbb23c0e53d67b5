import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BybitBook } from '../../../src/core/books/bybit.ts'
import type { BybitBookMessage } from '../../../src/core/mappers/bybit.ts'
import type { PriceLevel } from '../../../src/core/messages.ts'

const message = (
  type: 'snapshot' | 'delta',
  updateId: number,
  bids: PriceLevel[],
  asks: PriceLevel[],
  ts = 1_700_000_000_000 + updateId
): BybitBookMessage => ({ symbol: 'BTCUSDT', type, updateId, ts, bids, asks })

/** The levels of the docs' delta example (orderbook page), applied to a book that holds the prices it deletes. */
const docsDelta = message(
  'delta',
  177400507,
  [
    ['30247.20', '30.028'],
    ['30245.40', '0.224'],
    ['30242.10', '1.593'],
    ['30240.30', '1.305'],
    ['30240.00', '0']
  ],
  [
    ['30248.70', '0'],
    ['30249.30', '0.892'],
    ['30249.50', '1.778'],
    ['30249.60', '0'],
    ['30251.90', '2.947'],
    ['30252.20', '0.659'],
    ['30252.50', '4.591']
  ]
)

test('snapshot then the docs\' delta: insert, update, size "0" deletes; text kept as sent, ordered by value', () => {
  const book = new BybitBook()
  assert.equal(book.apply(docsDelta), 'unsynced', 'no delta before a snapshot')
  const snapshot = message(
    'snapshot',
    177400506,
    [
      ['30247.20', '1.000'],
      ['30240.00', '2.5']
    ],
    [
      ['30248.70', '0.5'],
      ['30249.60', '0.1'],
      ['30250.00', '3']
    ]
  )
  assert.equal(book.apply(snapshot), 'snapshot')
  assert.equal(book.apply(docsDelta), 'applied')
  assert.equal(book.updateId, 177400507)
  assert.equal(book.lastTs, docsDelta.ts)
  assert.deepEqual(book.top(20), {
    bids: [
      ['30247.20', '30.028'],
      ['30245.40', '0.224'],
      ['30242.10', '1.593'],
      ['30240.30', '1.305']
    ],
    asks: [
      ['30249.30', '0.892'],
      ['30249.50', '1.778'],
      ['30250.00', '3'],
      ['30251.90', '2.947'],
      ['30252.20', '0.659'],
      ['30252.50', '4.591']
    ]
  })
})

test('u must be the previous u + 1: a skipped, repeated or older u is a gap that discards the book', () => {
  for (const u of [12, 10, 9]) {
    const book = new BybitBook()
    book.apply(message('snapshot', 10, [['100', '1']], [['101', '1']]))
    assert.equal(book.apply(message('delta', u, [['99', '1']], [])), 'gap', `u ${u} after 10`)
    assert.equal(book.synced, false)
    assert.deepEqual(book.top(5), { bids: [], asks: [] })
    assert.equal(book.apply(message('delta', 11, [], [])), 'unsynced', 'nothing applies until a snapshot')
  }
})

test('a new snapshot resets the book whatever its u: re-sent mid-stream, or u = 1 after a service restart', () => {
  const book = new BybitBook()
  book.apply(message('snapshot', 500, [['100', '1']], [['101', '1']]))
  book.apply(message('delta', 501, [['99.5', '2']], []))
  assert.equal(book.apply(message('snapshot', 502, [['98', '3']], [['102', '4']])), 'snapshot')
  assert.deepEqual(book.top(5), { bids: [['98', '3']], asks: [['102', '4']] }, 'the old levels are gone')
  assert.equal(book.apply(message('snapshot', 1, [['97', '1']], [['103', '1']])), 'snapshot', 'restart')
  assert.equal(book.updateId, 1)
  assert.equal(book.apply(message('delta', 2, [['97.5', '1']], [])), 'applied', 'continuity from 1')
  assert.deepEqual(book.top(1).bids, [['97.5', '1']])
})

test('each side keeps its best 50: a level pushed out of the subscribed depth is dropped, not trusted', () => {
  const book = new BybitBook(50)
  const bids = Array.from({ length: 50 }, (_, i): PriceLevel => [`${1000 - i}.00`, '1'])
  const asks = Array.from({ length: 50 }, (_, i): PriceLevel => [`${1001 + i}.00`, '1'])
  book.apply(message('snapshot', 1, bids, asks))
  // A better bid enters: the worst (951.00) leaves the top 50.
  book.apply(message('delta', 2, [['1000.50', '2']], []))
  assert.equal(book.top(60).bids.length, 50)
  assert.deepEqual(book.top(60).bids.at(-1), ['952.00', '1'])
  // The best bid goes: 951.00 is not resurrected (it was dropped); the side holds 49 until Bybit inserts.
  book.apply(message('delta', 3, [['1000.50', '0']], []))
  assert.equal(book.top(60).bids.length, 49)
  // Prices compare by value, not as text or floats: "1000.9" is below "1001.00".
  book.apply(message('delta', 4, [], [['1000.9', '5']]))
  assert.deepEqual(book.top(1).asks, [['1000.9', '5']])
})
