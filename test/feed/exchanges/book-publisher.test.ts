import assert from 'node:assert/strict'
import { mock, test } from 'node:test'
import type { DepthMessage, MarketMessage, PriceLevel } from '../../../src/core/messages.ts'
import { BookPublisher } from '../../../src/feed/exchanges/book-publisher.ts'

/** A book whose best bid the test sets; `ts` its exchange time. */
function fakeBook() {
  return {
    synced: true,
    bid: '100',
    ts: null as number | null,
    top(levels: number): { bids: PriceLevel[]; asks: PriceLevel[] } {
      return { bids: [[this.bid, '1']].slice(0, levels) as PriceLevel[], asks: [['101', '2']] }
    }
  }
}

function harness(intervalMs = 1_000) {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 10_000 })
  const book = fakeBook()
  const out: MarketMessage[] = []
  const publisher = new BookPublisher({
    exchange: 'x',
    intervalMs,
    sink: { message: (m) => out.push(m) },
    book: (symbol) => (symbol === 'BTC' ? book : undefined),
    exchangeTs: (b) => b.ts
  })
  const depth = () => out as DepthMessage[]
  return { book, publisher, depth }
}

test('book publisher: at once after a sync, then at most one per interval with a trailing emit of the latest book', (t) => {
  t.after(() => mock.timers.reset())
  const { book, publisher, depth } = harness()
  const signal = new AbortController().signal
  book.ts = 9_990
  publisher.now('BTC', 10_000, signal)
  assert.deepEqual(depth(), [
    {
      v: 1,
      type: 'depth',
      exchange: 'x',
      symbol: 'BTC',
      ts: 9_990,
      bids: [['100', '1']],
      asks: [['101', '2']],
      recv_ts: 10_000
    }
  ])
  book.bid = '99'
  publisher.maybe('BTC', 10_200, signal)
  book.bid = '98'
  publisher.maybe('BTC', 10_400, signal)
  assert.equal(depth().length, 1, 'inside the interval: held')
  mock.timers.tick(1_000)
  assert.equal(depth().length, 2, 'one trailing emit at the end of the interval')
  assert.deepEqual(depth()[1]?.bids, [['98', '1']], 'the latest book')
  publisher.maybe('BTC', 12_500, signal)
  assert.equal(depth().length, 3, 'the interval has passed: at once')
})

test('book publisher: nothing for an unsynced or unknown book; an abort drops the trailing emit and resets', (t) => {
  t.after(() => mock.timers.reset())
  const { book, publisher, depth } = harness()
  const connection = new AbortController()
  book.synced = false
  publisher.now('BTC', 10_000, connection.signal)
  publisher.now('ETH', 10_000, connection.signal)
  assert.equal(depth().length, 0)
  book.synced = true
  publisher.maybe('BTC', 10_000, connection.signal)
  assert.equal(depth().length, 1, 'nothing published before: at once')
  publisher.maybe('BTC', 10_100, connection.signal)
  connection.abort()
  mock.timers.tick(2_000)
  assert.equal(depth().length, 1, 'the trailing emit ended with the connection')
  const next = new AbortController()
  publisher.maybe('BTC', 12_050, next.signal)
  assert.equal(depth().length, 2, 'a new connection: the next book goes out at once')
  publisher.maybe('BTC', 12_100, next.signal)
  publisher.cancel('BTC')
  mock.timers.tick(2_000)
  assert.equal(depth().length, 2, 'cancel drops the pending emit')
  publisher.maybe('BTC', 12_200, next.signal)
  assert.equal(depth().length, 2, 'cancel keeps the interval: still held')
})
