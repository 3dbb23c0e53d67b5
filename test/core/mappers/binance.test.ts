import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parse as parseLossless } from 'lossless-json'
import {
  binanceStreams,
  mapBinanceTrade,
  parseBinanceDepthUpdate,
  parseBinanceSnapshot,
  parseBinanceStream,
  unwrapBinanceFrame
} from '../../../src/core/mappers/binance.ts'
import { parseMessage } from '../../../src/core/validate.ts'

/** Frames parsed with number literals kept as text, as the feed must. */
const parseFrame = (text: string): unknown => parseLossless(text, null, (literal: string) => literal)

const tradeFrame =
  '{"stream":"bnbbtc@trade","data":{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.00100000","q":"100.00000000","T":1672515782136,"m":true,"M":true}}'
const depthFrame =
  '{"stream":"bnbbtc@depth@100ms","data":{"e":"depthUpdate","E":1672515782136,"s":"BNBBTC","U":157,"u":160,"b":[["0.0024","10"]],"a":[["0.0026","100"],["0.0027","0.00000000"]]}}'

test('stream names: trade and diff depth, lowercase; the combined URL list per symbol', () => {
  assert.deepEqual(parseBinanceStream('bnbbtc@trade'), { symbol: 'bnbbtc', kind: 'trade' })
  assert.deepEqual(parseBinanceStream('bnbbtc@depth@100ms'), { symbol: 'bnbbtc', kind: 'depth' })
  assert.deepEqual(parseBinanceStream('bnbbtc@depth'), { symbol: 'bnbbtc', kind: 'depth' })
  assert.equal(parseBinanceStream('BNBBTC@trade'), null)
  assert.equal(parseBinanceStream('bnbbtc@kline_1m'), null)
  assert.equal(parseBinanceStream('bnbbtc@trade@100ms'), null)
  assert.deepEqual(binanceStreams(['BTCUSDT', 'ethusdt']), [
    'btcusdt@trade',
    'btcusdt@depth@100ms',
    'ethusdt@trade',
    'ethusdt@depth@100ms'
  ])
})

test('a combined-stream trade maps to a canonical trade: exact decimals, m=true is a sell, id and ts', () => {
  const unwrapped = unwrapBinanceFrame(parseFrame(tradeFrame))
  assert.equal(unwrapped?.stream, 'bnbbtc@trade')
  const mapped = mapBinanceTrade(unwrapped?.data, 1672515782200)
  assert.ok(mapped.ok)
  assert.deepEqual(mapped.value, {
    v: 1,
    type: 'trade',
    exchange: 'binance',
    symbol: 'BNBBTC',
    id: '12345',
    price: '0.00100000',
    amount: '100.00000000',
    side: 'sell',
    ts: 1672515782136,
    recv_ts: 1672515782200
  })
  assert.ok(parseMessage(JSON.stringify(mapped.value), 1672515782200).ok, 'a valid v1 wire message')
  const buy = mapBinanceTrade({ ...(unwrapped?.data as object), m: false }, 1)
  assert.ok(buy.ok && buy.value.side === 'buy', 'the buyer was the taker')
})

test('plain JSON.parse frames (numbers as numbers) map the same', () => {
  const mapped = mapBinanceTrade((JSON.parse(tradeFrame) as { data: unknown }).data, 1)
  assert.ok(mapped.ok && mapped.value.id === '12345' && mapped.value.ts === 1672515782136)
})

test('malformed trades are refused with a reason', () => {
  const data = (parseFrame(tradeFrame) as { data: Record<string, unknown> }).data
  const reason = (patch: Record<string, unknown>) => {
    const mapped = mapBinanceTrade({ ...data, ...patch }, 1)
    return mapped.ok ? 'mapped' : mapped.reason
  }
  assert.match(reason({ p: '-1' }), /price/)
  assert.match(reason({ p: 0.001 }), /price/) // a float: precision already lost
  assert.match(reason({ q: 'abc' }), /quantity/)
  assert.match(reason({ t: '1.5' }), /trade id/)
  assert.match(reason({ T: undefined }), /time/)
  assert.match(reason({ m: 'true' }), /boolean m/)
  assert.match(reason({ s: 'bnb btc' }), /symbol/)
  assert.match(reason({ e: 'aggTrade' }), /not "trade"/)
  assert.equal(mapBinanceTrade(null, 1).ok, false)
})

test('a diff depth event parses into a typed update with exact decimals', () => {
  const unwrapped = unwrapBinanceFrame(parseFrame(depthFrame))
  const parsed = parseBinanceDepthUpdate(unwrapped?.data)
  assert.ok(parsed.ok)
  assert.deepEqual(parsed.value, {
    symbol: 'BNBBTC',
    eventTs: 1672515782136,
    firstId: 157,
    finalId: 160,
    bids: [['0.0024', '10']],
    asks: [
      ['0.0026', '100'],
      ['0.0027', '0.00000000']
    ]
  })
})

test('malformed depth events are refused with a reason', () => {
  const data = (parseFrame(depthFrame) as { data: Record<string, unknown> }).data
  const reason = (patch: Record<string, unknown>) => {
    const parsed = parseBinanceDepthUpdate({ ...data, ...patch })
    return parsed.ok ? 'parsed' : parsed.reason
  }
  assert.match(reason({ U: '161' }), /update ids/, 'U > u')
  assert.match(reason({ u: undefined }), /update ids/)
  assert.match(reason({ b: [['0.1']] }), /bid level/)
  assert.match(reason({ a: 'x' }), /ask is not an array/)
  assert.match(reason({ E: 'now' }), /event time/)
  assert.match(reason({ e: 'trade' }), /not "depthUpdate"/)
})

test('frames that are not combined-stream events unwrap to null', () => {
  assert.equal(unwrapBinanceFrame(parseFrame('{"result":null,"id":1}')), null)
  assert.equal(unwrapBinanceFrame([1, 2]), null)
  assert.equal(unwrapBinanceFrame('x'), null)
})

test('a REST snapshot parses; a bad one is refused', () => {
  const parsed = parseBinanceSnapshot(
    parseFrame(
      '{"lastUpdateId":1027024,"bids":[["4.00000000","431.00000000"]],"asks":[["4.00000200","12.00000000"]]}'
    )
  )
  assert.ok(parsed.ok)
  assert.deepEqual(parsed.value, {
    lastUpdateId: 1027024,
    bids: [['4.00000000', '431.00000000']],
    asks: [['4.00000200', '12.00000000']]
  })
  const bad = parseBinanceSnapshot({ code: -1121, msg: 'Invalid symbol.' })
  assert.ok(!bad.ok && /lastUpdateId/.test(bad.reason))
})
