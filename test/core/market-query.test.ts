import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  buildMarketQuery,
  InvalidQueryInput,
  parseTimeArgument,
  trimDecimal,
  type MarketQueryInput
} from '../../src/core/market-query.ts'

const NOW = Date.parse('2025-03-01T12:00:00Z')
const base: MarketQueryInput = {
  table: 'trades',
  symbol: 'BTCUSDT',
  exchange: 'wallex',
  fromMs: NOW - 3_600_000,
  toMs: NOW,
  limit: 10,
  final: true
}

test('with query parameters: placeholders in the SQL, values beside it', () => {
  const { query, params } = buildMarketQuery('market', base, { queryParameters: true })
  assert.match(query, /FROM market\.trades FINAL/)
  assert.match(query, /symbol = \{symbol:String\} AND exchange = \{exchange:String\}/)
  assert.match(query, /ts >= \{from:UInt64\} AND ts <= \{to:UInt64\}/)
  // FINAL covers the stored rows; LIMIT 1 BY the identity also drops a copy still in the write buffer.
  assert.match(query, /ORDER BY ts DESC\nLIMIT 1 BY exchange, symbol, ts, id\nLIMIT 10$/)
  assert.deepEqual(params, { symbol: 'BTCUSDT', exchange: 'wallex', from: NOW - 3_600_000, to: NOW })
  assert.ok(!query.includes('BTCUSDT'), 'the value is not in the SQL text')
})

test('without query parameters (18.16): validated values as escaped literals', () => {
  const { query, params } = buildMarketQuery(
    'market',
    { ...base, exchange: undefined },
    { queryParameters: false }
  )
  assert.deepEqual(params, {})
  assert.match(query, new RegExp(`WHERE symbol = 'BTCUSDT' AND ts >= ${NOW - 3_600_000} AND ts <= ${NOW}\n`))
  assert.ok(!query.includes('exchange ='), 'no exchange filter unless asked')
})

test('a hostile symbol is rejected before any SQL is built, in both modes', () => {
  for (const symbol of [
    "x' OR 1=1 --",
    "BTC'; DROP TABLE market.trades; --",
    'a\\',
    'a b',
    '',
    'x'.repeat(65)
  ]) {
    for (const queryParameters of [true, false]) {
      assert.throws(
        () => buildMarketQuery('market', { ...base, symbol }, { queryParameters }),
        InvalidQueryInput,
        symbol
      )
    }
  }
  assert.throws(
    () => buildMarketQuery('market', { ...base, exchange: "w' OR '1'='1" }, { queryParameters: false }),
    /exchange .* has characters/
  )
})

test('real symbols pass: slashes, dashes, colons, dots', () => {
  for (const symbol of ['EUR/USD', 'BTC-USD', 'X:BTCUSD', 'BRK.B', 'btc_usdt']) {
    const { query } = buildMarketQuery('market', { ...base, symbol }, { queryParameters: false })
    assert.ok(query.includes(`symbol = '${symbol}'`), query)
  }
})

test('FINAL by default, left out with final: false', () => {
  const { query } = buildMarketQuery('market', { ...base, final: false }, { queryParameters: false })
  assert.match(query, /FROM market\.trades\nWHERE/)
  assert.doesNotMatch(query, /LIMIT 1 BY/)
  const candles = buildMarketQuery('m', { ...base, table: 'candles' }, { queryParameters: false }).query
  assert.doesNotMatch(candles, /LIMIT 1 BY/, 'candles are not buffered: FINAL keeps the highest version')
})

test('decimals are selected as text, depth levels as arrays of text', () => {
  assert.match(buildMarketQuery('m', base, { queryParameters: true }).query, /toString\(price\) AS price/)
  const depth = buildMarketQuery('m', { ...base, table: 'depth' }, { queryParameters: true }).query
  assert.match(depth, /arrayMap\(level -> arrayMap\(value -> toString\(value\), level\), bids\) AS bids/)
  const candles = buildMarketQuery(
    'm',
    { ...base, table: 'candles', timeframe: '5m' },
    { queryParameters: true }
  )
  assert.match(candles.query, /timeframe = \{timeframe:String\}/)
  assert.equal(candles.params.timeframe, '5m')
})

test('limit, times and table are checked', () => {
  const build = (patch: Partial<MarketQueryInput>) =>
    buildMarketQuery('m', { ...base, ...patch }, { queryParameters: false })
  assert.throws(() => build({ limit: 0 }), /limit/)
  assert.throws(() => build({ limit: 1.5 }), /limit/)
  assert.throws(() => build({ limit: 10_000_000 }), /limit/)
  assert.throws(() => build({ fromMs: NOW, toMs: NOW - 1 }), /is after/)
  assert.throws(() => build({ fromMs: Number.NaN }), /from must be a time/)
  assert.throws(() => build({ table: 'system.users' as never }), /unknown table/)
  assert.throws(() => build({ table: 'candles', timeframe: "1m' --" }), /timeframe/)
})

test('times: now, relative, ISO, epoch ms; anything else is refused', () => {
  assert.equal(parseTimeArgument('now', NOW), NOW)
  assert.equal(parseTimeArgument('-5m', NOW), NOW - 300_000)
  assert.equal(parseTimeArgument('-2h', NOW), NOW - 7_200_000)
  assert.equal(parseTimeArgument('-1d', NOW), NOW - 86_400_000)
  assert.equal(parseTimeArgument('-30s', NOW), NOW - 30_000)
  assert.equal(parseTimeArgument('2025-01-31T12:00:00Z', NOW), Date.parse('2025-01-31T12:00:00Z'))
  assert.equal(parseTimeArgument('2025-01-31T12:00:00', NOW), Date.parse('2025-01-31T12:00:00Z'), 'UTC')
  assert.equal(parseTimeArgument('2025-01-31 12:00', NOW), Date.parse('2025-01-31T12:00:00Z'))
  assert.equal(parseTimeArgument('2025-01-31T14:00:00+02:00', NOW), Date.parse('2025-01-31T12:00:00Z'))
  assert.equal(parseTimeArgument('2025-01-31', NOW), Date.parse('2025-01-31T00:00:00Z'))
  assert.equal(parseTimeArgument('1738324800000', NOW), 1738324800000)
  for (const bad of ['yesterday', '5m', '-5x', "0' OR 1=1", '2025-13-45', ''])
    assert.throws(() => parseTimeArgument(bad, NOW), InvalidQueryInput, bad)
})

test('decimal text loses only its padding', () => {
  assert.equal(trimDecimal('98012.500000000000000000'), '98012.5')
  assert.equal(trimDecimal('1.000000000000000000'), '1')
  assert.equal(trimDecimal('-0.010'), '-0.01')
  assert.equal(trimDecimal('120'), '120')
  assert.equal(trimDecimal('abc'), 'abc')
})
