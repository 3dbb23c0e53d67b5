import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  binanceTradeParser,
  csvTradeParser,
  jsonLinesParser,
  splitCsvLine,
  symbolFromBinanceFileName,
  type LineParser,
  type LineResult
} from '../../src/core/replay-formats.ts'

const NOW = 1_763_800_000_000
const TS = 1_763_700_000_123

/** Parses lines as a file: `first` on the first non-blank one. */
function parseAll(parser: LineParser, lines: string[]): LineResult[] {
  let seen = false
  return lines.map((line) => {
    const result = parser.parse(line, !seen, NOW)
    if (line.trim() !== '') seen = true
    return result
  })
}

const values = (results: LineResult[]) =>
  results.filter((r) => r.kind === 'message').map((r) => JSON.parse(r.value) as Record<string, unknown>)
const reasons = (results: LineResult[]) => results.filter((r) => r.kind === 'bad').map((r) => r.reason)

test('canonical CSV without a header: positional columns, decimals kept as written, recv_ts = ts unless given', () => {
  const results = parseAll(csvTradeParser(), [
    `wallex,BTCUSDT,71920345,98012.500000000000000001,0.0123,buy,${TS}`,
    `wallex,BTCUSDT,71920346,98012.50,10,SELL,${TS + 1},${TS + 9}`,
    ''
  ])
  assert.deepEqual(values(results), [
    {
      v: 1,
      type: 'trade',
      exchange: 'wallex',
      symbol: 'BTCUSDT',
      id: '71920345',
      price: '98012.500000000000000001',
      amount: '0.0123',
      side: 'buy',
      ts: TS,
      recv_ts: TS
    },
    {
      v: 1,
      type: 'trade',
      exchange: 'wallex',
      symbol: 'BTCUSDT',
      id: '71920346',
      price: '98012.50',
      amount: '10',
      side: 'sell',
      ts: TS + 1,
      recv_ts: TS + 9
    }
  ])
  assert.equal(results[2]?.kind, 'skip')
  const first = results[0]
  assert.ok(first?.kind === 'message')
  assert.equal(first.key, 'wallex:BTCUSDT')
  // Wire-format field order, so bridges take their fast path; the decimal text is in the value verbatim.
  assert.match(
    first.value,
    /^\{"v":1,"type":"trade","exchange":"wallex",.*"price":"98012.500000000000000001"/
  )
})

test('canonical CSV with a header maps columns by name, in any order, ignoring unknown ones', () => {
  const results = parseAll(csvTradeParser(), [
    'ts,side,amount,price,id,symbol,exchange,note',
    `${TS},buy,1.5,"2,5"x,7,EUR/USD,polygon,hello`,
    `${TS},buy,1.5,2.5,8,"EUR/USD",polygon,"a, b"`
  ])
  assert.equal(results[0]?.kind, 'skip')
  assert.match(reasons(results)[0] ?? '', /^price: "2,5x" is not a non-negative decimal/)
  assert.deepEqual(values(results)[0], {
    v: 1,
    type: 'trade',
    exchange: 'polygon',
    symbol: 'EUR/USD',
    id: '8',
    price: '2.5',
    amount: '1.5',
    side: 'buy',
    ts: TS,
    recv_ts: TS
  })
})

test('bad CSV lines say why, and never throw', () => {
  const results = parseAll(csvTradeParser(), [
    `wallex,BTCUSDT,1,1e5,1,buy,${TS}`,
    `wallex,BTCUSDT,1,-1,1,buy,${TS}`,
    `wallex,BTCUSDT,1,1,1,hold,${TS}`,
    'wallex,BTCUSDT,1,1,1,buy,1.7e12',
    `wallex,BTCUSDT,1,1,1,buy`,
    `wallex,BTCUSDT,,1,1,buy,${TS}`,
    `wallex,"BTC,1,1,1,buy,${TS}`,
    `wallex,BTCUSDT,1,1,1,buy,${NOW + 2 * 86_400_000}`,
    `Wallex,BTCUSDT,1,1,1,buy,${TS}`
  ])
  assert.deepEqual(reasons(results), [
    'price: "1e5" is not a non-negative decimal (max 20.18 digits)',
    'price: "-1" is not a non-negative decimal (max 20.18 digits)',
    'side: must be equal to one of the allowed values',
    'ts: "1.7e12" is not an integer epoch ms',
    'expected 7 or 8 columns (exchange,symbol,id,price,amount,side,ts,recv_ts), got 6',
    'missing id',
    'unbalanced quotes',
    `ts ${NOW + 2 * 86_400_000} is more than 24h in the future`,
    'exchange: invalid format (must match pattern "^[a-z0-9_-]{1,32}$")'
  ])
})

test('a CSV header without the required columns is a bad line', () => {
  const results = parseAll(csvTradeParser(), ['exchange,symbol,price'])
  assert.deepEqual(reasons(results), ['header lacks id, amount, side, ts'])
})

test("JSON lines: any canonical type, sent exactly as written; invalid ones with the bridge's reason", () => {
  const quote = `{"v":1,"type":"quote","exchange":"polygon","symbol":"EUR/USD","bid":"1.0501","ask":"1.0503","bid_size":"1000000","ask_size":"500000","ts":${TS},"recv_ts":${TS}}`
  const results = parseAll(jsonLinesParser(), [
    `  ${quote}  `,
    '{"v":1,"type":"trade"}',
    '{not json',
    `{"v":2,"type":"trade"}`
  ])
  const first = results[0]
  assert.ok(first?.kind === 'message')
  assert.equal(first.value, quote)
  assert.equal(first.key, 'polygon:EUR/USD')
  assert.equal(first.message.type, 'quote')
  assert.deepEqual(
    reasons(results).map((r) => r.replace(/:.*/s, '')),
    ['missing field exchange', 'invalid JSON', 'unsupported version v=2']
  )
})

test('Binance dumps: ms or µs times, taker side from isBuyerMaker, decimals as written, header skipped', () => {
  const parser = binanceTradeParser({ exchange: 'binance', symbol: 'BTCUSDT' })
  const results = parseAll(parser, [
    'id,price,qty,quote_qty,time,is_buyer_maker',
    `3360000001,42000.01000000,0.00150000,63.00001500,${TS},True,True`,
    `3360000002,42000.02000000,0.50000000,21000.01,${TS}456,false,True`,
    `3360000003,42000.03,0.5,21000.01,${TS},false`,
    `3360000004,42000.03,0.5,21000.01,${TS},maybe,True`,
    `x,42000.03,0.5,21000.01,${TS},false,True`,
    `3360000005,4.2e4,0.5,21000.01,${TS},false,True`,
    '3360000006,1,1'
  ])
  assert.equal(results[0]?.kind, 'skip')
  assert.deepEqual(
    values(results).map((m) => [m.id, m.price, m.amount, m.side, m.ts, m.recv_ts, m.exchange, m.symbol]),
    [
      ['3360000001', '42000.01000000', '0.00150000', 'sell', TS, TS, 'binance', 'BTCUSDT'],
      ['3360000002', '42000.02000000', '0.50000000', 'buy', TS, TS, 'binance', 'BTCUSDT'],
      ['3360000003', '42000.03', '0.5', 'buy', TS, TS, 'binance', 'BTCUSDT']
    ]
  )
  assert.deepEqual(reasons(results), [
    'isBuyerMaker: "maybe" is not true or false',
    'id: "x" is not a trade id',
    'price: "4.2e4" is not a non-negative decimal (max 20.18 digits)',
    'expected 6 or 7 columns (id,price,qty,quoteQty,time,isBuyerMaker[,isBestMatch]), got 3'
  ])
})

test('the symbol of a Binance dump comes from its file name', () => {
  assert.equal(symbolFromBinanceFileName('BTCUSDT-trades-2024-01-01.csv'), 'BTCUSDT')
  assert.equal(symbolFromBinanceFileName('ETHBTC-trades-2024-03.csv.gz'), 'ETHBTC')
  assert.equal(symbolFromBinanceFileName('trades.csv'), null)
  assert.equal(symbolFromBinanceFileName('BTCUSDT-aggTrades-2024-01-01.csv'), null)
})

test('CSV cells: quotes, escaped quotes, CRLF and spaces', () => {
  assert.deepEqual(splitCsvLine('a, b ,c\r'), ['a', 'b', 'c'])
  assert.deepEqual(splitCsvLine('"a,1","say ""hi""",'), ['a,1', 'say "hi"', ''])
  assert.equal(splitCsvLine('"open,1'), null)
})
