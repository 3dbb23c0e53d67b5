import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parse as parseLossless } from 'lossless-json'
import {
  mapWallexDepthSide,
  mapWallexTrade,
  parseWallexChannel,
  unwrapWallexFrame
} from '../../../src/core/mappers/wallex.ts'
import { DerivedTradeIds } from '../../../src/core/mappers/trade-ids.ts'
import { parseMessage } from '../../../src/core/validate.ts'

const tradeFrame =
  '["USDTTMN@trade",{"isBuyOrder":true,"quantity":"255.7500000000000000","price":"82131.0000000000000000","timestamp":"2025-06-01T09:33:41Z"}]'

/** Frames parsed with number literals kept as text, as the feed must. */
const parseFrame = (text: string): unknown => parseLossless(text, null, (literal: string) => literal)

test('a v1 trade frame maps to a canonical trade with the exact decimal text', () => {
  const unwrapped = unwrapWallexFrame(parseFrame(tradeFrame))
  assert.ok(unwrapped && unwrapped !== 'ping')
  assert.deepEqual(parseWallexChannel(unwrapped.channel), { symbol: 'USDTTMN', stream: 'trade' })
  const mapped = mapWallexTrade('USDTTMN', unwrapped.data, 1748770421500, new DerivedTradeIds())
  assert.ok(mapped.ok)
  assert.equal(mapped.value.price, '82131.0000000000000000')
  assert.equal(mapped.value.amount, '255.7500000000000000')
  assert.equal(mapped.value.side, 'buy')
  assert.equal(mapped.value.ts, Date.parse('2025-06-01T09:33:41Z'))
  assert.equal(mapped.value.recv_ts, 1748770421500)
  assert.ok(parseMessage(JSON.stringify(mapped.value), 1748770421500).ok, 'a valid v1 wire message')
})

test('v2 pushes, prefixes, the stray U+064E and the {} ping are understood', () => {
  const push = { push: { channel: 'public:BTCTMN@trade', pub: { data: { isBuyOrder: false } } } }
  assert.deepEqual(unwrapWallexFrame(push), { channel: 'public:BTCTMN@trade', data: { isBuyOrder: false } })
  assert.equal(unwrapWallexFrame({}), 'ping')
  assert.equal(unwrapWallexFrame({ id: 2, subscribe: {} }), null)
  assert.deepEqual(parseWallexChannel('orderbook:BTCTMN@sellDepth'), {
    symbol: 'BTCTMN',
    stream: 'sellDepth'
  })
  assert.deepEqual(parseWallexChannel('\u064eBTCTMN@buyDepth'), { symbol: 'BTCTMN', stream: 'buyDepth' })
  assert.equal(parseWallexChannel('USDTTMN@sellbuyDepth'), null)
})

test('the same trade re-sent after a reconnect gets the same id; identical trades stay distinct', () => {
  const ids = new DerivedTradeIds()
  const trade = { isBuyOrder: true, quantity: '1.5', price: '100', timestamp: '2025-06-01T09:33:41Z' }
  const first = mapWallexTrade('BTCUSDT', trade, 1, ids)
  const twin = mapWallexTrade('BTCUSDT', trade, 2, ids) // a genuinely identical second trade
  ids.reset() // reconnect: the exchange sends both again
  const again = mapWallexTrade('BTCUSDT', trade, 3, ids)
  const twinAgain = mapWallexTrade('BTCUSDT', trade, 4, ids)
  assert.ok(first.ok && twin.ok && again.ok && twinAgain.ok)
  assert.notEqual(first.value.id, twin.value.id)
  assert.equal(again.value.id, first.value.id)
  assert.equal(twinAgain.value.id, twin.value.id)
  const other = mapWallexTrade('BTCUSDT', { ...trade, price: '100.5' }, 5, ids)
  assert.ok(other.ok)
  assert.notEqual(other.value.id, first.value.id)
})

test('depth levels sent as JSON numbers keep their literal digits', () => {
  const frame = parseFrame(
    '["USDTTMN@buyDepth",[{"quantity":255.75,"price":82131,"sum":21005003.25},{"quantity":1e-7,"price":82130.10,"sum":1}]]'
  )
  const unwrapped = unwrapWallexFrame(frame)
  assert.ok(unwrapped && unwrapped !== 'ping')
  const side = mapWallexDepthSide(unwrapped.data)
  assert.ok(side.ok)
  assert.deepEqual(side.value, [
    ['82131', '255.75'],
    ['82130.10', '0.0000001']
  ])
})

test('malformed payloads are refused with a reason, never thrown', () => {
  const ids = new DerivedTradeIds()
  const cases: [unknown, RegExp][] = [
    [null, /not an object/],
    [{ isBuyOrder: 'yes' }, /isBuyOrder/],
    [{ isBuyOrder: true, price: '-1', quantity: '1', timestamp: '2025-06-01T09:33:41Z' }, /price/],
    [{ isBuyOrder: true, price: '1', quantity: 'x', timestamp: '2025-06-01T09:33:41Z' }, /quantity/],
    [{ isBuyOrder: true, price: '1', quantity: '1', timestamp: 'yesterday' }, /timestamp/]
  ]
  for (const [data, reason] of cases) {
    const mapped = mapWallexTrade('BTCUSDT', data, 1, ids)
    assert.equal(mapped.ok, false)
    if (!mapped.ok) assert.match(mapped.reason, reason)
  }
  const depth = mapWallexDepthSide([{ price: '1' }])
  assert.equal(depth.ok, false)
  assert.equal(mapWallexDepthSide('nope').ok, false)
})

test('derived trade ids forget contents a minute old in exchange time, without scanning what they keep', () => {
  const ids = new DerivedTradeIds()
  const base = 1_764_000_000_000
  const trade = (ts: number, price: string) => ({
    exchange: 'wallex',
    symbol: 'BTCUSDT',
    ts,
    price,
    amount: '1',
    side: 'buy'
  })
  const first = ids.next(trade(base, '1'))
  assert.equal(
    ids.next(trade(base, '1')),
    first.replace(/-0$/, '-1'),
    'an identical twin is the next occurrence'
  )
  for (let i = 1; i <= 120_000; i++) ids.next(trade(base + i, String(i)))
  assert.ok(ids.remembered <= 60_001, `keeps about a minute of trades: ${ids.remembered}`)
  // Within the minute an identical trade is still recognised; a minute later its content starts again at 0.
  assert.match(ids.next(trade(base + 119_999, '119999')), /-1$/)
  assert.equal(ids.next(trade(base, '1')), first, 'forgotten: the same content gets occurrence 0 again')
})
