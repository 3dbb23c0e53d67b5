import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parse as parseLossless } from 'lossless-json'
import {
  coinbaseError,
  coinbaseRequest,
  coinbaseTradeId,
  mapCoinbaseRestTrade,
  mapCoinbaseTrade,
  mapCoinbaseTradesEvent,
  parseCoinbaseBookEvent,
  parseCoinbaseEnvelope,
  parseCoinbaseHeartbeat,
  rfc3339Ms
} from '../../../src/core/mappers/coinbase.ts'
import { parseMessage } from '../../../src/core/validate.ts'

/** Frames parsed with number literals kept as text, as the feed must. */
const parseFrame = (text: string): unknown => parseLossless(text, null, (literal: string) => literal)

// The docs' own examples (Advanced Trade WebSocket channels page; Exchange REST "Get product trades").
const marketTradesFrame = `{
  "channel": "market_trades", "client_id": "", "timestamp": "2023-02-09T20:19:35.39625135Z", "sequence_num": 0,
  "events": [{ "type": "snapshot", "trades": [{ "trade_id": "000000000", "product_id": "ETH-USD",
    "price": "1260.01", "size": "0.3", "side": "BUY", "time": "2019-08-14T20:42:27.265Z" }] }]
}`
const level2Frame = `{
  "channel": "l2_data", "client_id": "", "timestamp": "2023-02-09T20:32:50.714964855Z", "sequence_num": 0,
  "events": [{ "type": "snapshot", "product_id": "BTC-USD", "updates": [
    { "side": "bid", "event_time": "1970-01-01T00:00:00Z", "price_level": "21921.73", "new_quantity": "0.06317902" },
    { "side": "bid", "event_time": "1970-01-01T00:00:00Z", "price_level": "21921.3", "new_quantity": "0.02" }
  ] }]
}`
const heartbeatsFrame = `{
  "channel": "heartbeats", "client_id": "", "timestamp": "2023-06-23T20:31:26.122969572Z", "sequence_num": 0,
  "events": [{ "current_time": "2023-06-23 20:31:56.121961769 +0000 UTC m=+91717.525857105", "heartbeat_counter": "3049" }]
}`
const restTrade =
  '{"time":"2020-03-20T00:36:59.860Z","trade_id":86327327,"price":"6225.32000000","size":"0.06469797","side":"sell"}'
// As observed in the wild (hummingbot's sample): an update with both sides and microsecond event times.
const level2Update = `{"channel":"l2_data","client_id":"","timestamp":"2024-10-08T09:10:36.120390407Z","sequence_num":14,
  "events":[{"type":"update","product_id":"BTC-USD","updates":[
    {"side":"bid","event_time":"2024-10-08T09:10:35.171517Z","price_level":"62317.89","new_quantity":"0.032355"},
    {"side":"offer","event_time":"2024-10-08T09:10:35.171517Z","price_level":"62394.77","new_quantity":"0.0170024"}]}]}`

test('subscribe messages: one channel each, heartbeats without products', () => {
  assert.deepEqual(coinbaseRequest('subscribe', 'level2', ['BTC-USD', 'ETH-USD']), {
    type: 'subscribe',
    product_ids: ['BTC-USD', 'ETH-USD'],
    channel: 'level2'
  })
  assert.deepEqual(coinbaseRequest('unsubscribe', 'level2', ['BTC-USD']), {
    type: 'unsubscribe',
    product_ids: ['BTC-USD'],
    channel: 'level2'
  })
  assert.deepEqual(coinbaseRequest('subscribe', 'heartbeats', ['BTC-USD']), {
    type: 'subscribe',
    channel: 'heartbeats'
  })
})

test('RFC 3339 times with 0 to 9 fractional digits become epoch ms, truncated', () => {
  assert.equal(rfc3339Ms('2023-02-09T20:32:50.714964855Z'), Date.UTC(2023, 1, 9, 20, 32, 50, 714))
  assert.equal(rfc3339Ms('2023-02-09T20:19:35.39625135Z'), Date.UTC(2023, 1, 9, 20, 19, 35, 396))
  assert.equal(rfc3339Ms('2019-08-14T20:42:27.265Z'), Date.UTC(2019, 7, 14, 20, 42, 27, 265))
  assert.equal(rfc3339Ms('2023-02-09T20:32:50Z'), Date.UTC(2023, 1, 9, 20, 32, 50))
  assert.equal(rfc3339Ms('2023-02-09T20:32:50.5Z'), Date.UTC(2023, 1, 9, 20, 32, 50, 500))
  assert.equal(rfc3339Ms('2023-02-09T21:32:50.5+01:00'), Date.UTC(2023, 1, 9, 20, 32, 50, 500))
  assert.equal(rfc3339Ms('1970-01-01T00:00:00Z'), 0)
  assert.equal(rfc3339Ms('2023-02-30T00:00:00Z'), null)
  assert.equal(rfc3339Ms('2023-06-23 20:31:56.121961769 +0000 UTC'), null)
  assert.equal(rfc3339Ms(1675974199), null)
})

test('the docs market_trades example: exact decimals, the maker BUY means the taker sold, the id canonical', () => {
  const envelope = parseCoinbaseEnvelope(parseFrame(marketTradesFrame))
  assert.ok(envelope.ok)
  assert.equal(envelope.value.channel, 'market_trades')
  assert.equal(envelope.value.sequenceNum, 0)
  assert.equal(envelope.value.ts, Date.UTC(2023, 1, 9, 20, 19, 35, 396))
  const trades = mapCoinbaseTradesEvent(envelope.value.events[0], 1_700_000_000_000)
  assert.ok(trades.ok)
  assert.deepEqual(trades.value, [
    {
      v: 1,
      type: 'trade',
      exchange: 'coinbase',
      symbol: 'ETH-USD',
      id: '0',
      price: '1260.01',
      amount: '0.3',
      side: 'sell',
      ts: Date.UTC(2019, 7, 14, 20, 42, 27, 265),
      recv_ts: 1_700_000_000_000
    }
  ])
  assert.ok(parseMessage(JSON.stringify(trades.value[0]), 1_700_000_000_000).ok, 'a valid v1 wire message')
})

test('a batch listed newest first comes out oldest first; SELL is a taker buy', () => {
  const trade = (id: string, side: string) => ({
    trade_id: id,
    product_id: 'BTC-USD',
    price: '62317.89',
    size: '0.00100000',
    side,
    time: '2024-10-08T09:10:35.171517Z'
  })
  const mapped = mapCoinbaseTradesEvent(
    {
      type: 'update',
      trades: [trade('10092329', 'SELL'), trade('10092328', 'BUY'), trade('9999999', 'SELL')]
    },
    1
  )
  assert.ok(mapped.ok)
  assert.deepEqual(
    mapped.value.map((t) => [t.id, t.side, t.amount, t.ts]),
    [
      ['9999999', 'buy', '0.00100000', Date.UTC(2024, 9, 8, 9, 10, 35, 171)],
      ['10092328', 'sell', '0.00100000', Date.UTC(2024, 9, 8, 9, 10, 35, 171)],
      ['10092329', 'buy', '0.00100000', Date.UTC(2024, 9, 8, 9, 10, 35, 171)]
    ]
  )
})

test('malformed trades and events are refused with a reason', () => {
  const good = {
    trade_id: '1',
    product_id: 'BTC-USD',
    price: '1.5',
    size: '2',
    side: 'BUY',
    time: '2024-10-08T09:10:35Z'
  }
  const reason = (patch: Record<string, unknown>) => {
    const mapped = mapCoinbaseTrade({ ...good, ...patch }, 1)
    return mapped.ok ? 'mapped' : mapped.reason
  }
  assert.match(reason({ price: '-1' }), /price/)
  assert.match(reason({ price: 1.5 }), /price/) // a float: precision already lost
  assert.match(reason({ size: 'abc' }), /size/)
  assert.match(reason({ trade_id: 'abc-1' }), /trade_id/)
  assert.match(reason({ time: '14/08/2019' }), /time/)
  assert.match(reason({ side: true }), /side/)
  assert.match(reason({ product_id: 'btc usd' }), /product_id/)
  const unknownSide = mapCoinbaseTrade({ ...good, side: 'UNKNOWN_ORDER_SIDE' }, 1)
  assert.ok(unknownSide.ok && unknownSide.value.side === 'unknown', 'an unknown side is kept as unknown')
  const event = (patch: Record<string, unknown>) => {
    const mapped = mapCoinbaseTradesEvent({ type: 'update', trades: [good], ...patch }, 1)
    return mapped.ok ? 'mapped' : mapped.reason
  }
  assert.match(event({ type: 'delta' }), /event type/)
  assert.match(event({ trades: 'x' }), /trades array/)
  assert.match(event({ trades: [good, { ...good, price: 'x' }] }), /price/)
  assert.equal(mapCoinbaseTradesEvent(null, 1).ok, false)
})

test('the docs level2 example: a snapshot of bids; its 1970 event_time means "no time"', () => {
  const envelope = parseCoinbaseEnvelope(parseFrame(level2Frame))
  assert.ok(envelope.ok && envelope.value.channel === 'l2_data')
  const book = parseCoinbaseBookEvent(envelope.value.events[0])
  assert.ok(book.ok)
  assert.deepEqual(book.value, {
    kind: 'snapshot',
    symbol: 'BTC-USD',
    bids: [
      ['21921.73', '0.06317902'],
      ['21921.3', '0.02']
    ],
    asks: [],
    eventTs: null
  })
})

test('a level2 update: offer is the ask side, event_time the latest of the updates', () => {
  const envelope = parseCoinbaseEnvelope(parseFrame(level2Update))
  assert.ok(envelope.ok && envelope.value.sequenceNum === 14)
  const book = parseCoinbaseBookEvent(envelope.value.events[0])
  assert.ok(book.ok)
  assert.deepEqual(book.value, {
    kind: 'update',
    symbol: 'BTC-USD',
    bids: [['62317.89', '0.032355']],
    asks: [['62394.77', '0.0170024']],
    eventTs: Date.UTC(2024, 9, 8, 9, 10, 35, 171)
  })
  const reason = (patch: Record<string, unknown>) => {
    const parsed = parseCoinbaseBookEvent({
      type: 'update',
      product_id: 'BTC-USD',
      updates: [{ side: 'bid', price_level: '1', new_quantity: '0' }],
      ...patch
    })
    return parsed.ok ? 'parsed' : parsed.reason
  }
  assert.equal(reason({}), 'parsed')
  assert.match(reason({ type: 'l2update' }), /event type/)
  assert.match(reason({ product_id: 7 }), /product_id/)
  assert.match(reason({ updates: [{ side: 'buy', price_level: '1', new_quantity: '0' }] }), /side/)
  assert.match(reason({ updates: [{ side: 'bid', price_level: '1', new_quantity: -1 }] }), /decimal/)
  assert.match(reason({ updates: null }), /updates array/)
})

test('the docs heartbeats example: heartbeat_counter as a string, and as a number', () => {
  const envelope = parseCoinbaseEnvelope(parseFrame(heartbeatsFrame))
  assert.ok(envelope.ok && envelope.value.channel === 'heartbeats')
  assert.deepEqual(parseCoinbaseHeartbeat(envelope.value.events[0]), { ok: true, value: 3049 })
  assert.deepEqual(parseCoinbaseHeartbeat(parseFrame('{"heartbeat_counter":14191}')), {
    ok: true,
    value: 14191
  })
  assert.equal(parseCoinbaseHeartbeat({ heartbeat_counter: 'x' }).ok, false)
})

test('envelopes without a channel, sequence_num, timestamp or events are refused; errors are recognised', () => {
  const base = parseFrame(heartbeatsFrame) as Record<string, unknown>
  const reason = (patch: Record<string, unknown>) => {
    const parsed = parseCoinbaseEnvelope({ ...base, ...patch })
    return parsed.ok ? 'parsed' : parsed.reason
  }
  assert.match(reason({ channel: undefined }), /channel/)
  assert.match(reason({ sequence_num: '-1' }), /sequence_num/)
  assert.match(reason({ timestamp: 'now' }), /timestamp/)
  assert.match(reason({ events: {} }), /events/)
  assert.equal(parseCoinbaseEnvelope([1]).ok, false)
  assert.equal(
    coinbaseError(parseFrame('{"type":"error","message":"Failed to subscribe","reason":"bad product"}')),
    'Failed to subscribe: bad product'
  )
  assert.equal(coinbaseError(parseFrame('{"type":"error","message":"failure"}')), 'failure')
  assert.equal(coinbaseError(parseFrame(heartbeatsFrame)), null)
})

test('the docs REST trade example: numeric id, 8-decimal text kept, the maker sell means the taker bought', () => {
  const mapped = mapCoinbaseRestTrade('BTC-USD', parseFrame(restTrade), 5)
  assert.ok(mapped.ok)
  assert.deepEqual(mapped.value, {
    v: 1,
    type: 'trade',
    exchange: 'coinbase',
    symbol: 'BTC-USD',
    id: '86327327',
    price: '6225.32000000',
    amount: '0.06469797',
    side: 'buy',
    ts: Date.UTC(2020, 2, 20, 0, 36, 59, 860),
    recv_ts: 5
  })
  const plain = mapCoinbaseRestTrade('BTC-USD', JSON.parse(restTrade), 5)
  assert.ok(plain.ok && plain.value.id === '86327327', 'JSON.parse numbers map the same')
  assert.equal(coinbaseTradeId('000123'), '123')
  assert.equal(coinbaseTradeId(123), '123')
  assert.equal(coinbaseTradeId(1.5), null)
  assert.equal(coinbaseTradeId('12a'), null)
})
