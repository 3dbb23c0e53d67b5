import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parse as parseLossless } from 'lossless-json'
import {
  bybitRequests,
  bybitTopics,
  classifyBybitFrame,
  mapBybitTrades,
  parseBybitBook
} from '../../../src/core/mappers/bybit.ts'
import { parseMessage } from '../../../src/core/validate.ts'

/** Frames parsed with number literals kept as text, as the feed must. */
const parseFrame = (text: string): unknown => parseLossless(text, null, (literal: string) => literal)

// The examples of Bybit's v5 docs (websocket/public/trade and orderbook), verbatim but for the elided "...".
const tradeFrame =
  '{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1672304486868,"data":[{"T":1672304486865,"s":"BTCUSDT","S":"Buy","v":"0.001","p":"16578.50","L":"PlusTick","i":"20f43950-d8dd-5b31-9112-a178eb6023af","BT":false,"seq":1783284617}]}'
const snapshotFrame =
  '{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1672304484978,"data":{"s":"BTCUSDT","b":[["16493.50","0.006"],["16493.00","0.100"]],"a":[["16611.00","0.029"],["16612.00","0.213"]],"u":18521288,"seq":7961638724},"cts":1672304484976}'
const deltaFrame =
  '{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1687940967466,"data":{"s":"BTCUSDT","b":[["30247.20","30.028"],["30245.40","0.224"],["30242.10","1.593"],["30240.30","1.305"],["30240.00","0"]],"a":[["30248.70","0"],["30249.30","0.892"],["30249.50","1.778"],["30249.60","0"],["30251.90","2.947"],["30252.20","0.659"],["30252.50","4.591"]],"u":177400507,"seq":66544703342},"cts":1687940967464}'

const classify = (text: string) => classifyBybitFrame(parseFrame(text))

test('subscribe requests: trade and book topic per symbol, at most 10 args each, each with its own req_id', () => {
  const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'DOGEUSDT', 'ADAUSDT']
  const topics = bybitTopics(symbols)
  assert.deepEqual(topics.slice(0, 2), ['publicTrade.BTCUSDT', 'orderbook.50.BTCUSDT'])
  let id = 0
  const requests = bybitRequests('subscribe', topics, () => `r${++id}`)
  assert.deepEqual(
    requests.map((r) => [r.req_id, r.op, r.args?.length]),
    [
      ['r1', 'subscribe', 10],
      ['r2', 'subscribe', 2]
    ]
  )
  assert.deepEqual(
    requests.flatMap((r) => r.args),
    topics
  )
})

test("the docs' trade example maps to a canonical trade: exact text, S is the taker side, i the id, T the time", () => {
  const frame = classify(tradeFrame)
  assert.equal(frame.kind, 'trade')
  if (frame.kind !== 'trade') return
  const { trades, errors } = mapBybitTrades(frame.symbol, frame.frame, 1672304486900)
  assert.deepEqual(errors, [])
  assert.deepEqual(trades, [
    {
      v: 1,
      type: 'trade',
      exchange: 'bybit',
      symbol: 'BTCUSDT',
      id: '20f43950-d8dd-5b31-9112-a178eb6023af',
      price: '16578.50',
      amount: '0.001',
      side: 'buy',
      ts: 1672304486865,
      recv_ts: 1672304486900
    }
  ])
  assert.ok(parseMessage(JSON.stringify(trades[0]), 1672304486900).ok, 'a valid v1 wire message')
})

test('a trade message with several trades: numeric spot ids, Sell, and a bad element left out with its reason', () => {
  const text =
    '{"topic":"publicTrade.ETHUSDT","type":"snapshot","ts":1700000000002,"data":[' +
    '{"T":1700000000000,"s":"ETHUSDT","S":"Sell","v":"1.20000","p":"3456.78","i":"2100000000007764263","BT":false,"RPI":false,"seq":1},' +
    '{"T":1700000000001,"s":"ETHUSDT","S":"Hold","v":"1","p":"3456.78","i":"2100000000007764264","BT":false},' +
    '{"T":1700000000001,"s":"ETHUSDT","S":"Buy","v":"0.00001","p":"3456.80","i":"2100000000007764265","BT":false}]}'
  const frame = classify(text)
  assert.ok(frame.kind === 'trade')
  const { trades, errors } = mapBybitTrades(frame.symbol, frame.frame, 1)
  assert.deepEqual(
    trades.map((t) => [t.id, t.side, t.price, t.amount]),
    [
      ['2100000000007764263', 'sell', '3456.78', '1.20000'],
      ['2100000000007764265', 'buy', '3456.80', '0.00001']
    ]
  )
  assert.deepEqual(errors, ['trade 1: trade side "Hold" is not Buy or Sell'])
  const wrongSymbol = mapBybitTrades('BTCUSDT', frame.frame, 1)
  assert.equal(wrongSymbol.trades.length, 0)
  assert.match(wrongSymbol.errors[0] ?? '', /not the topic's BTCUSDT/)
})

test('the docs\' book snapshot and delta parse with exact text; size "0" kept for the book to delete', () => {
  const snapshot = classify(snapshotFrame)
  assert.ok(snapshot.kind === 'book' && snapshot.depth === 50 && snapshot.symbol === 'BTCUSDT')
  assert.deepEqual(parseBybitBook(snapshot.symbol, snapshot.frame), {
    ok: true,
    value: {
      symbol: 'BTCUSDT',
      type: 'snapshot',
      updateId: 18521288,
      ts: 1672304484978,
      bids: [
        ['16493.50', '0.006'],
        ['16493.00', '0.100']
      ],
      asks: [
        ['16611.00', '0.029'],
        ['16612.00', '0.213']
      ]
    }
  })
  const delta = classify(deltaFrame)
  assert.ok(delta.kind === 'book')
  const parsed = parseBybitBook(delta.symbol, delta.frame)
  assert.ok(parsed.ok)
  assert.equal(parsed.value.type, 'delta')
  assert.equal(parsed.value.updateId, 177400507)
  assert.deepEqual(parsed.value.bids.at(-1), ['30240.00', '0'])
  assert.equal(parsed.value.asks.length, 7)
  // Spot puts "ts" before "type" and the docs show it quoted once: both read the same.
  const quoted = classify(snapshotFrame.replace('"ts":1672304484978', '"ts":"1672304484978"'))
  assert.ok(quoted.kind === 'book' && parseBybitBook('BTCUSDT', quoted.frame).ok)
})

test('malformed book messages are refused with a reason, never thrown', () => {
  const book = (mutate: (frame: Record<string, unknown>) => void) => {
    const frame = parseFrame(snapshotFrame) as Record<string, unknown>
    mutate(frame)
    return parseBybitBook('BTCUSDT', frame)
  }
  const reason = (result: ReturnType<typeof parseBybitBook>) => (result.ok ? 'ok' : result.reason)
  assert.match(reason(book((f) => (f.type = 'update'))), /not snapshot or delta/)
  assert.match(reason(book((f) => ((f.data as Record<string, unknown>).u = '-1'))), /not a positive integer/)
  assert.match(
    reason(book((f) => ((f.data as Record<string, unknown>).b = [['1', 2]]))),
    /not \[price, size\]/
  )
  assert.match(reason(book((f) => ((f.data as Record<string, unknown>).s = 'ETHUSDT'))), /not the topic's/)
  assert.match(reason(book((f) => delete f.ts)), /ts undefined is not epoch ms/)
})

test('answers: pong, subscribe ack, a refusal with its text; unknown frames say why', () => {
  assert.deepEqual(
    classify(
      '{"success":true,"ret_msg":"pong","conn_id":"0970e817-426e-429a-a679-ff7f55e0b16a","req_id":"100001","op":"ping"}'
    ),
    { kind: 'pong' }
  )
  assert.deepEqual(
    classify('{"req_id":"test","op":"pong","args":["1675418560633"],"conn_id":"cfcb4ocsvfriu23r3er0-1b"}'),
    {
      kind: 'pong'
    }
  )
  assert.deepEqual(
    classify(
      '{"success":true,"ret_msg":"subscribe","conn_id":"2324d924-aa4d-45b0-a858-7b8be29ab52b","req_id":"10001","op":"subscribe"}'
    ),
    { kind: 'response', op: 'subscribe', success: true, message: 'subscribe', reqId: '10001' }
  )
  // Observed on Bybit (sieblyio/bybit-api #561).
  assert.deepEqual(
    classify(
      '{"success":false,"ret_msg":"error:handler not found,topic:dcp.future","conn_id":"d9jhogatbetvf6evjmc0-8eoj","req_id":"dcp.future","op":"subscribe"}'
    ),
    {
      kind: 'response',
      op: 'subscribe',
      success: false,
      message: 'error:handler not found,topic:dcp.future',
      reqId: 'dcp.future'
    }
  )
  assert.deepEqual(classify('{"topic":"tickers.BTCUSDT","data":{}}'), {
    kind: 'unknown',
    reason: 'unknown topic "tickers.BTCUSDT"'
  })
  assert.equal(classify('[1,2]').kind, 'unknown')
  assert.equal(classify('{"op":"subscribe"}').kind, 'unknown')
})
