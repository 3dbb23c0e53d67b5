import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CoinbaseBook, CoinbaseStreamCheck } from '../../../src/core/books/coinbase.ts'
import type { CoinbaseBookEvent } from '../../../src/core/mappers/coinbase.ts'

const event = (kind: 'snapshot' | 'update', patch: Partial<CoinbaseBookEvent> = {}): CoinbaseBookEvent => ({
  kind,
  symbol: 'BTC-USD',
  bids: [],
  asks: [],
  eventTs: null,
  ...patch
})

test('sequence_num: +1 is fine, a jump is a lost message, a repeat or step back is not a gap', () => {
  const check = new CoinbaseStreamCheck()
  assert.deepEqual(check.sequence(0), { ok: true })
  assert.deepEqual(check.sequence(1), { ok: true })
  assert.deepEqual(check.sequence(2), { ok: true })
  assert.deepEqual(check.sequence(5), {
    ok: false,
    reason: 'sequence_num jumped from 2 to 5: 2 message(s) lost'
  })
  assert.deepEqual(check.sequence(6), { ok: true })
  assert.deepEqual(check.sequence(6), { ok: true })
  assert.equal(check.unordered, 1)
  check.reset()
  assert.deepEqual(check.sequence(40), { ok: true }, 'a new connection starts a new count')
})

test('heartbeat_counter: +1 is fine, a jump is lost heartbeats, a repeated counter (one per product) is not', () => {
  const check = new CoinbaseStreamCheck()
  assert.deepEqual(check.heartbeat(3049), { ok: true })
  assert.deepEqual(check.heartbeat(3050), { ok: true })
  assert.deepEqual(check.heartbeat(3050), { ok: true })
  assert.deepEqual(check.heartbeat(3053), {
    ok: false,
    reason: 'heartbeat_counter jumped from 3050 to 3053: 2 heartbeat(s) lost'
  })
  check.reset()
  assert.deepEqual(check.heartbeat(10), { ok: true })
})

test('a book: snapshot replaces, updates set absolute quantities, "0" deletes, offers sort ascending', () => {
  const book = new CoinbaseBook()
  assert.equal(book.apply(event('update', { bids: [['1', '1']] }), 10), 'unsynced', 'no snapshot yet')
  assert.equal(book.synced, false)
  assert.equal(
    book.apply(
      event('snapshot', {
        bids: [
          ['21921.3', '0.02'],
          ['21921.73', '0.06317902'],
          ['9999.99', '1']
        ],
        asks: [
          ['21922.10', '0.5'],
          ['21922', '0.25']
        ]
      }),
      1_000
    ),
    'synced'
  )
  assert.equal(book.ts, 1_000, 'a snapshot without event times takes the frame time')
  assert.deepEqual(book.top(2), {
    bids: [
      ['21921.73', '0.06317902'],
      ['21921.3', '0.02']
    ],
    asks: [
      ['21922', '0.25'],
      ['21922.10', '0.5']
    ]
  })
  assert.equal(
    book.apply(
      event('update', {
        bids: [
          ['21921.73', '0'],
          ['21921.30', '0.5']
        ],
        asks: [['21922.1', '0.00000000']],
        eventTs: 2_000
      }),
      2_100
    ),
    'ok'
  )
  assert.equal(book.ts, 2_000)
  assert.deepEqual(book.top(5), {
    bids: [
      ['21921.30', '0.5'],
      ['9999.99', '1']
    ],
    asks: [['21922', '0.25']]
  })
  // A new snapshot replaces everything.
  book.apply(event('snapshot', { bids: [['1', '1']] }), 3_000)
  assert.deepEqual(book.top(5), { bids: [['1', '1']], asks: [] })
  book.reset()
  assert.equal(book.synced, false)
  assert.deepEqual(book.top(5), { bids: [], asks: [] })
  assert.equal(book.apply(event('update', { bids: [['2', '1']] }), 4_000), 'unsynced')
})
