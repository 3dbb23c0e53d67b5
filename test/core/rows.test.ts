import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { CandleMessage, MarketMessage, TradeMessage } from '../../src/core/messages.ts'
import { CandleSources, candleRow, rowFor } from '../../src/core/rows.ts'
import { parseMessage } from '../../src/core/validate.ts'
import { CANDLE_JSON, DEPTH_JSON, NOW, QUOTE_JSON, TRADE_JSON, trade } from './examples.ts'

function parsed(json: string): MarketMessage {
  const result = parseMessage(json, NOW)
  assert.ok(result.ok, result.ok ? '' : result.reason)
  return result.message
}

function asObject(line: string): Record<string, unknown> {
  assert.ok(line.endsWith('\n'), 'a JSONEachRow line ends with a newline')
  assert.equal(line.indexOf('\n'), line.length - 1, 'exactly one line')
  return JSON.parse(line) as Record<string, unknown>
}

test('trade -> trades, decimals copied literally as bare numbers', () => {
  const { table, line } = rowFor(parsed(TRADE_JSON))
  assert.equal(table, 'trades')
  const row = asObject(line)
  assert.match(line, /"price":98012\.50[,}]/)
  assert.match(line, /"amount":0\.0123[,}]/)
  assert.deepEqual(
    { ...row, price: undefined, amount: undefined },
    {
      exchange: 'wallex',
      symbol: 'BTCUSDT',
      ts: 1763800000123,
      id: '71920345',
      price: undefined,
      amount: undefined,
      side: 'buy',
      recv_ts: 1763800000130
    }
  )
})

test('decimals longer than a double can hold keep every digit', () => {
  const price = '12345678901234567890.123456789012345678'
  const { line } = rowFor(parsed(JSON.stringify(trade({ price, amount: '0.000000000000000001' }))))
  asObject(line)
  assert.ok(line.includes(`"price":${price},`), line)
  assert.ok(line.includes('"amount":0.000000000000000001,'), line)
})

test('depth -> depth, levels as arrays of bare decimals', () => {
  const { table, line } = rowFor(parsed(DEPTH_JSON))
  assert.equal(table, 'depth')
  const row = asObject(line)
  assert.match(line, /"bids":\[\[98000\.1,0\.5\]\]/)
  assert.match(line, /"asks":\[\[98001\.0,1\.2\]\]/)
  assert.equal(row.exchange, 'wallex')
  assert.equal(row.ts, 1763800000123)
  assert.equal(row.recv_ts, 1763800000131)
})

test('depth with several and with no levels stays valid JSON', () => {
  const message = parsed(DEPTH_JSON)
  assert.ok(message.type === 'depth')
  const many = rowFor({
    ...message,
    bids: [
      ['1.10', '2'],
      ['1.00', '3.50']
    ],
    asks: []
  })
  const row = asObject(many.line)
  assert.deepEqual(row.bids, [
    [1.1, 2],
    [1, 3.5]
  ])
  assert.deepEqual(row.asks, [])
  assert.match(many.line, /"bids":\[\[1\.10,2\],\[1\.00,3\.50\]\]/)
})

test('quote -> quotes with all four decimals literal', () => {
  const { table, line } = rowFor(parsed(QUOTE_JSON))
  assert.equal(table, 'quotes')
  const row = asObject(line)
  assert.equal(row.symbol, 'EUR/USD')
  assert.match(line, /"bid":1\.0501,/)
  assert.match(line, /"ask":1\.0503,/)
  assert.match(line, /"bid_size":1000000,/)
  assert.match(line, /"ask_size":500000,/)
  assert.equal(row.recv_ts, 1763800000125)
})

test('candle -> candles, carrying source and version', () => {
  const message = parsed(CANDLE_JSON)
  const { table, line } = rowFor(message)
  assert.equal(table, 'candles')
  const row = asObject(line)
  assert.equal(row.timeframe, '1m')
  assert.equal(row.source, CandleSources.EXCHANGE)
  assert.equal(row.trades, 42)
  // No recv_ts in the message: the candle's own ts stands in for it and for the version.
  assert.equal(row.recv_ts, 1763799960000)
  assert.equal(row.version, 1763799960000)
  assert.match(line, /"open":1\.0500,"high":1\.0504,"low":1\.0499,"close":1\.0503,"volume":1250,/)
})

test('candle version follows recv_ts, or the version passed for candles from trades', () => {
  const message = parsed(CANDLE_JSON) as CandleMessage
  const revised = asObject(candleRow({ ...message, recv_ts: 1763800001000 }))
  assert.equal(revised.version, 1763800001000)
  const fromTrades = asObject(candleRow({ ...message, trades: undefined }, CandleSources.TRADES, 17))
  assert.equal(fromTrades.source, 'trades')
  assert.equal(fromTrades.version, 17)
  assert.equal(fromTrades.trades, 0)
})

test('strings are escaped safely: quotes, backslashes, control characters and unicode', () => {
  const symbol = 'BTC"USDT\\\n\u0000 ₿ 比特币 😀'
  const id = 'id","price":0,"x":"'
  const message = parsed(JSON.stringify(trade({ symbol, id }))) as TradeMessage
  const { line } = rowFor(message)
  const row = asObject(line)
  assert.equal(row.symbol, symbol)
  assert.equal(row.id, id)
  assert.equal(row.price, 98012.5)
  assert.equal(row.x, undefined)
  assert.match(line, /"price":98012\.50,/)
})
