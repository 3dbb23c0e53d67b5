import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  candleRefreshSql,
  pieceCheckSql,
  rebuildScopesSql,
  splitPieceCheck,
  type CandleScope
} from '../../src/core/candles.ts'

const scope: CandleScope = {
  exchange: 'wallex',
  symbol: 'BTCUSDT',
  fromTs: 1_700_000_003_500,
  toTs: 1_700_000_012_100
}

test('a refresh reads only the touched 10-second slices of the stored trades, then rolls up 10s → 1m → 5m..1d', () => {
  const [pieces, minutes, rollup] = candleRefreshSql('market', [scope], 'trades_local')
  assert.match(pieces!, /FROM market\.trades_local FINAL/)
  assert.match(pieces!, /SELECT exchange, symbol, '10s', 'trades', intDiv\(ts, 10000\) \* 10000 AS bucket/)
  // 3.5 s and 12.1 s past the slice boundary: the slices [0 s, 10 s) and [10 s, 20 s), not the whole minute.
  assert.match(pieces!, /ts >= 1700000000000 AND ts < 1700000020000\)/)
  assert.match(
    minutes!,
    /FROM market\.candles FINAL\nARRAY JOIN \[\('1m', 60000\)\] AS tf\nWHERE timeframe = '10s'/
  )
  assert.match(
    rollup!,
    /ARRAY JOIN \[\('5m', 300000\), \('15m', 900000\), \('1h', 3600000\), \('4h', 14400000\), \('1d', 86400000\)\] AS tf\nWHERE timeframe = '1m'/
  )
  for (const sql of [pieces, minutes, rollup])
    assert.match(sql!, /exchange = 'wallex' AND symbol = 'BTCUSDT'/)
})

test('the version of a candle is its number of trades, so the most complete recompute wins', () => {
  const [pieces, minutes] = candleRefreshSql('market', [scope])
  assert.match(pieces!, /sum\(amount\), count\(\), max\(recv_ts\), count\(\)\nFROM market\.trades FINAL/)
  assert.match(minutes!, /sum\(volume\), sum\(trades\), max\(recv_ts\), sum\(trades\)/)
})

test('a rebuild finds its scopes in the window, with exchange and symbol as escaped literals', () => {
  const sql = rebuildScopesSql('market', { fromMs: 1000.7, toMs: 5000, symbol: "x' OR 1=1" }, 'trades_local')
  assert.match(sql, /FROM market\.trades_local\n/)
  assert.match(sql, /WHERE ts >= 1000 AND ts <= 5000 AND symbol = 'x\\' OR 1=1'\n/)
  assert.doesNotMatch(sql, /exchange =/)
  assert.match(sql, /GROUP BY exchange, symbol/)
})

test('the checked read of the 10s slices has no FINAL and ends each row with its distinct trades', () => {
  const sql = pieceCheckSql('market', [scope], 'trades_local')
  assert.match(sql, /^SELECT exchange, symbol, '10s', 'trades', intDiv\(ts, 10000\) \* 10000 AS bucket/)
  assert.match(
    sql,
    /count\(\), max\(recv_ts\), count\(\),\n {2}uniqExact\(cityHash64\(ts, id\)\)\nFROM market\.trades_local\n/
  )
  assert.doesNotMatch(sql, /FINAL/)
})

test('a checked slice whose trades are all distinct is kept as a candle row; those with a duplicate are spanned for FINAL', () => {
  const row = (symbol: string, bucket: number, count: number, distinct: number) =>
    [
      `sim`,
      symbol,
      '10s',
      'trades',
      bucket,
      '1.5',
      '2',
      '1',
      '1.75',
      '10.000000000000000001',
      count,
      99,
      count,
      distinct
    ].join('\t')
  const { stored, duplicated } = splitPieceCheck(
    [
      row('BTCUSDT', 10_000, 5, 5),
      row("A\\tB\\'C\\\\D", 20_000, 6, 5),
      row('ETHUSDT', 30_000, 2, 2),
      row('ETHUSDT', 40_000, 4, 3),
      row("A\\tB\\'C\\\\D", 90_000, 3, 2),
      row("A\\tB\\'C\\\\D", 50_000, 3, 2),
      ''
    ].join('\n')
  )
  assert.equal(
    stored,
    'sim\tBTCUSDT\t10s\ttrades\t10000\t1.5\t2\t1\t1.75\t10.000000000000000001\t5\t99\t5\n' +
      'sim\tETHUSDT\t10s\ttrades\t30000\t1.5\t2\t1\t1.75\t10.000000000000000001\t2\t99\t2\n',
    'the candle columns as read (exact decimal text), without the distinct count'
  )
  assert.deepEqual(
    duplicated,
    [
      { exchange: 'sim', symbol: "A\tB'C\\D", fromTs: 20_000, toTs: 90_000 },
      { exchange: 'sim', symbol: 'ETHUSDT', fromTs: 40_000, toTs: 40_000 }
    ],
    'one span per exchange:symbol, however many of its slices hold a duplicate'
  )
  assert.throws(() => splitPieceCheck('sim\tBTCUSDT\n'), /a checked candle row has 2 fields/)
})
