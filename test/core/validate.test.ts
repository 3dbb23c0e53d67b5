import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MAX_FUTURE_SKEW_MS, parseMessage, type ParseResult } from '../../src/core/validate.ts'
import { CANDLE_JSON, DEPTH_JSON, NOW, QUOTE_JSON, TRADE_JSON, depth, trade } from './examples.ts'

function reasonOf(result: ParseResult): string {
  assert.equal(result.ok, false, `expected a rejection, got ${JSON.stringify(result)}`)
  return result.ok ? '' : result.reason
}

function rejects(value: Buffer | string | undefined, pattern: RegExp, now = NOW): void {
  const reason = reasonOf(parseMessage(value, now))
  assert.match(reason, pattern)
}

test('the DESIGN examples of all four types parse, from a string and from a Buffer', () => {
  for (const [json, type] of [
    [TRADE_JSON, 'trade'],
    [DEPTH_JSON, 'depth'],
    [QUOTE_JSON, 'quote'],
    [CANDLE_JSON, 'candle']
  ] as const) {
    for (const value of [json, Buffer.from(json, 'utf8')]) {
      const result = parseMessage(value, NOW)
      assert.ok(result.ok, `${type} rejected: ${result.ok ? '' : result.reason}`)
      assert.equal(result.message.type, type)
      assert.deepEqual(result.message, JSON.parse(json))
    }
  }
})

test('decimal text is kept exactly as sent (trailing zeros, no float)', () => {
  const result = parseMessage(TRADE_JSON, NOW)
  assert.ok(result.ok)
  assert.ok(result.message.type === 'trade')
  assert.equal(result.message.price, '98012.50')
  assert.equal(result.message.amount, '0.0123')
})

test('extra unknown fields are accepted', () => {
  const result = parseMessage(JSON.stringify(trade({ venue_seq: 7, note: { any: 'thing' } })), NOW)
  assert.ok(result.ok, result.ok ? '' : result.reason)
})

test('bad JSON is rejected as invalid JSON', () => {
  rejects('{"v":1,"type":"trade"', /invalid JSON/)
  rejects(Buffer.from('not json at all'), /invalid JSON/)
})

test('an empty value is rejected as empty', () => {
  rejects(undefined, /empty/)
  rejects('', /empty/)
  rejects(Buffer.alloc(0), /empty/)
})

test('a JSON value that is not an object is rejected', () => {
  for (const value of ['[1,2]', '42', '"trade"', 'null', 'true']) rejects(value, /not a JSON object/)
})

test('an unknown version is rejected naming the version', () => {
  rejects(JSON.stringify(trade({ v: 2 })), /version.*2/)
  const { v: _v, ...noVersion } = trade()
  rejects(JSON.stringify(noVersion), /version/)
})

test('an unknown type is rejected naming the type', () => {
  rejects(JSON.stringify(trade({ type: 'orderbook' })), /unknown message type.*orderbook/)
  rejects(JSON.stringify(trade({ type: 7 })), /unknown message type/)
})

test('a missing required field is rejected naming the field', () => {
  for (const field of ['price', 'amount', 'id', 'side', 'symbol', 'exchange', 'ts', 'recv_ts']) {
    const message = trade()
    delete message[field]
    rejects(JSON.stringify(message), new RegExp(`missing field ${field}\\b`))
  }
  const noBids = depth()
  delete noBids.bids
  rejects(JSON.stringify(noBids), /missing field bids/)
})

test('a price that is not a non-negative decimal string is rejected naming price', () => {
  for (const price of ['1e5', '-1', 'abc', '', '1.', '.5', ' 1', '1,5', '0x10']) {
    rejects(JSON.stringify(trade({ price })), /price/)
  }
})

test('a price sent as a JSON number instead of a string is rejected naming price', () => {
  const raw = TRADE_JSON.replace('"price":"98012.50"', '"price":98000.5')
  assert.notEqual(raw, TRADE_JSON)
  rejects(raw, /price.*string/)
})

test('more than 18 fractional digits are rejected; exactly 18 are accepted', () => {
  rejects(JSON.stringify(trade({ price: '1.' + '0'.repeat(18) + '1' })), /price/)
  assert.ok(parseMessage(JSON.stringify(trade({ price: '1.' + '1'.repeat(18) })), NOW).ok)
})

test('more than 20 integer digits are rejected', () => {
  rejects(JSON.stringify(trade({ price: '1'.repeat(21) })), /price/)
  assert.ok(parseMessage(JSON.stringify(trade({ price: '9'.repeat(20) })), NOW).ok)
})

test('a negative amount is rejected naming amount', () => {
  rejects(JSON.stringify(trade({ amount: '-0.5' })), /amount/)
})

test('an absurd ts (1970, 2200) is rejected naming ts', () => {
  rejects(JSON.stringify(trade({ ts: 0 })), /\bts\b/)
  rejects(JSON.stringify(trade({ ts: 86_400_000 })), /\bts\b/) // 1970-01-02
  rejects(JSON.stringify(trade({ ts: Date.UTC(2200, 0, 1) })), /\bts\b/, Date.UTC(2200, 0, 1))
  rejects(JSON.stringify(trade({ recv_ts: 1 })), /recv_ts/)
})

test('a ts in seconds or with a fraction is rejected', () => {
  rejects(JSON.stringify(trade({ ts: 1763800000 })), /\bts\b/)
  rejects(JSON.stringify(trade({ ts: 1763800000123.5 })), /\bts\b/)
})

test('a ts more than 24h ahead of now is rejected; exactly 24h ahead is accepted', () => {
  const ts = NOW + MAX_FUTURE_SKEW_MS
  assert.ok(parseMessage(JSON.stringify(trade({ ts })), NOW).ok)
  rejects(JSON.stringify(trade({ ts: ts + 1 })), /future/)
  // The same message is fine when `now` has caught up.
  assert.ok(parseMessage(JSON.stringify(trade({ ts: ts + 1 })), NOW + 1).ok)
})

test('a depth level with 3 elements is rejected naming bids', () => {
  rejects(JSON.stringify(depth({ bids: [['98000.1', '0.5', '3']] })), /bids/)
  rejects(JSON.stringify(depth({ asks: [['98001.0']] })), /asks/)
  rejects(JSON.stringify(depth({ bids: [['98000.1', '-0.5']] })), /bids/)
})

test('an empty book side is accepted', () => {
  assert.ok(parseMessage(JSON.stringify(depth({ bids: [] })), NOW).ok)
})

test('an unknown side or timeframe is rejected naming the field', () => {
  rejects(JSON.stringify(trade({ side: 'long' })), /side/)
  const candle = JSON.parse(CANDLE_JSON) as Record<string, unknown>
  rejects(JSON.stringify({ ...candle, timeframe: '2m' }), /timeframe/)
})

test('decimals with leading zeros are refused, so the JSONEachRow line built from them stays valid JSON', () => {
  const m = {
    v: 1,
    type: 'trade',
    exchange: 'wallex',
    symbol: 'BTCUSDT',
    id: '1',
    price: '007.5',
    amount: '1',
    side: 'buy',
    ts: 1763800000123,
    recv_ts: 1763800000130
  }
  const result = parseMessage(JSON.stringify(m), 1763800000130)
  assert.equal(result.ok, false)
  assert.equal(parseMessage(JSON.stringify({ ...m, price: '0.5' }), 1763800000130).ok, true)
})
