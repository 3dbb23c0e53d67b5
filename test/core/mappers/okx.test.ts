import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parse as parseLossless } from 'lossless-json'
import {
  classifyOkxFrame,
  mapOkxTrade,
  okxArgs,
  okxRequests,
  okxTradeIdRange,
  parseOkxBook,
  parseOkxHistoryTrades,
  parseOkxRestBook
} from '../../../src/core/mappers/okx.ts'
import { parseMessage } from '../../../src/core/validate.ts'

/** Frames parsed with number literals kept as text, as the feed must. */
const parseFrame = (text: string): unknown => parseLossless(text, null, (literal: string) => literal)

// The docs' own frames (docs/exchanges/okx.md: WS trades channel and PROTOCOLS.md's observed frame).
const tradesFrame =
  '{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"130639474","px":"42219.9","sz":"0.12060306","side":"buy","ts":"1630048897897","count":"3","seqId":1234}]}'
const observedTrade =
  '{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"1040968613","px":"64040.2","sz":"0.00240857","side":"buy","ts":"1786538760218","count":"2","source":"0","seqId":79706765242}]}'
const booksSnapshot =
  '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[["8476.98","415","0","13"],["8477","7","0","2"]],"bids":[["8476.97","256","0","12"],["8475.55","101","0","1"]],"ts":"1597026383085","checksum":-855196043,"prevSeqId":-1,"seqId":123456}]}'

test('subscribe requests: trades and books per instrument, at most 50 args a request', () => {
  assert.deepEqual(okxRequests('subscribe', okxArgs(['BTC-USDT'])), [
    {
      id: '1',
      op: 'subscribe',
      args: [
        { channel: 'trades', instId: 'BTC-USDT' },
        { channel: 'books', instId: 'BTC-USDT' }
      ]
    }
  ])
  const many = okxRequests('subscribe', okxArgs(Array.from({ length: 30 }, (_, i) => `C${i}-USDT`)))
  assert.equal(many.length, 2)
  assert.equal((many[1] as { args: unknown[] }).args.length, 10)
})

test('frames: events (ack, error, notice) and pushes are told apart', () => {
  assert.deepEqual(
    classifyOkxFrame(
      parseFrame(
        '{"id":"1512","event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"},"connId":"a4d3ae55"}'
      )
    ),
    {
      kind: 'event',
      event: 'subscribe',
      code: null,
      msg: null,
      arg: { channel: 'books', instId: 'BTC-USDT' }
    }
  )
  const error = classifyOkxFrame(
    parseFrame(
      '{"event":"error","code":"60018","msg":"Wrong URL or channel:books,instId:NOPE-USDT doesn\'t exist.","connId":"a4d3ae55"}'
    )
  )
  assert.equal(error?.kind === 'event' && error.code, '60018')
  const notice = classifyOkxFrame(
    parseFrame(
      '{"event":"notice","code":"64008","msg":"The connection will soon be closed for a service upgrade.","connId":"a4d3ae55"}'
    )
  )
  assert.equal(notice?.kind === 'event' && notice.event, 'notice')
  const push = classifyOkxFrame(parseFrame(booksSnapshot))
  assert.equal(push?.kind === 'push' && push.action, 'snapshot')
  assert.equal(classifyOkxFrame(parseFrame('{"arg":{"channel":"books"}}')), null)
  assert.equal(classifyOkxFrame(parseFrame('[1,2]')), null)
})

test("the docs' aggregated trade: tradeId is the canonical id, first_id = tradeId - count + 1, exact text", () => {
  const frame = classifyOkxFrame(parseFrame(tradesFrame))
  assert.ok(frame?.kind === 'push')
  const mapped = mapOkxTrade(frame.data[0], 1630048897900)
  assert.ok(mapped.ok)
  assert.deepEqual(mapped.value, {
    v: 1,
    type: 'trade',
    exchange: 'okx',
    symbol: 'BTC-USDT',
    id: '130639474',
    price: '42219.9',
    amount: '0.12060306',
    side: 'buy',
    ts: 1630048897897,
    recv_ts: 1630048897900,
    first_id: '130639472'
  })
  // docs: "if tradeId=123 and count=3, the message aggregates trades 123, 122, 121"
  assert.deepEqual(okxTradeIdRange(mapped.value), { first: 130639472n, last: 130639474n })
  const parsed = parseMessage(Buffer.from(JSON.stringify(mapped.value)))
  assert.ok(parsed.ok, 'valid wire format v1 (first_id is an extra field the bridge ignores)')

  const observed = classifyOkxFrame(parseFrame(observedTrade))
  assert.ok(observed?.kind === 'push')
  const second = mapOkxTrade(observed.data[0], 1786538760300)
  assert.ok(second.ok)
  assert.deepEqual(okxTradeIdRange(second.value), { first: 1040968612n, last: 1040968613n })
})

test('a single fill (count 1, or none as in REST) has no first_id: the fast-path wire shape', () => {
  const mapped = mapOkxTrade(
    {
      instId: 'ETH-USDT',
      tradeId: '7',
      px: '3000.10',
      sz: '1.500',
      side: 'sell',
      ts: '1700000000000',
      count: '1'
    },
    1700000000001
  )
  assert.ok(mapped.ok)
  assert.equal(mapped.value.first_id, undefined)
  assert.equal(mapped.value.price, '3000.10', 'trailing zeros kept')
  assert.equal(mapped.value.amount, '1.500')
  assert.equal(mapped.value.side, 'sell')
  assert.equal(
    JSON.stringify(mapped.value),
    '{"v":1,"type":"trade","exchange":"okx","symbol":"ETH-USDT","id":"7","price":"3000.10","amount":"1.500","side":"sell","ts":1700000000000,"recv_ts":1700000000001}'
  )
  assert.deepEqual(okxTradeIdRange(mapped.value), { first: 7n, last: 7n })
})

test('bad trades are refused with the reason, never thrown', () => {
  const good = { instId: 'BTC-USDT', tradeId: '5', px: '1', sz: '1', side: 'buy', ts: '1700000000000' }
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...good, tradeId: 'x5' }, /tradeId/],
    [{ ...good, px: '-1' }, /px/],
    [{ ...good, sz: 1 }, /sz/],
    [{ ...good, side: 'BUY' }, /side/],
    [{ ...good, ts: 'now' }, /ts/],
    [{ ...good, count: '0' }, /count/],
    [{ ...good, count: '7' }, /count/], // more fills than ids below 5
    [{ ...good, instId: 'btc usdt' }, /instId/]
  ]
  for (const [trade, reason] of cases) {
    const mapped = mapOkxTrade(trade, 1)
    assert.ok(!mapped.ok && reason.test(mapped.reason), JSON.stringify(trade))
  }
  assert.equal(mapOkxTrade(null, 1).ok, false)
  const mapped = mapOkxTrade(good, 1)
  assert.ok(mapped.ok)
  assert.equal(okxTradeIdRange({ ...mapped.value, id: 'abc' }), null)
  assert.equal(okxTradeIdRange({ ...mapped.value, first_id: '6' }), null, 'first after last')
})

test('books: snapshot and update frames keep price and size text as sent; seqIds and checksum as numbers', () => {
  const frame = classifyOkxFrame(parseFrame(booksSnapshot))
  assert.ok(frame?.kind === 'push')
  const book = parseOkxBook(frame.data[0], frame.action)
  assert.ok(book.ok)
  assert.deepEqual(book.value, {
    action: 'snapshot',
    bids: [
      { price: '8476.97', size: '256' },
      { price: '8475.55', size: '101' }
    ],
    asks: [
      { price: '8476.98', size: '415' },
      { price: '8477', size: '7' }
    ],
    ts: 1597026383085,
    checksum: -855196043,
    prevSeqId: -1,
    seqId: 123456
  })
  const keepAlive = parseOkxBook(
    parseFrame('{"asks":[],"bids":[],"ts":"1597026383085","checksum":0,"prevSeqId":15,"seqId":15}'),
    'update'
  )
  assert.ok(keepAlive.ok && keepAlive.value.prevSeqId === 15 && keepAlive.value.checksum === 0)
  const noChecksum = parseOkxBook(
    parseFrame('{"asks":[],"bids":[],"ts":"1","prevSeqId":1,"seqId":2}'),
    'update'
  )
  assert.ok(noChecksum.ok && noChecksum.value.checksum === 0, 'absent checksum = not sent')
  assert.equal(parseOkxBook(frame.data[0], 'partial').ok, false)
  assert.match(
    (
      parseOkxBook(parseFrame('{"asks":[["1"]],"bids":[],"ts":"1","prevSeqId":1,"seqId":2}'), 'update') as {
        reason: string
      }
    ).reason,
    /ask level/
  )
  assert.equal(
    parseOkxBook(parseFrame('{"asks":[],"bids":[],"ts":"1","prevSeqId":-2,"seqId":2}'), 'update').ok,
    false
  )
})

test('REST: a book with its seqId, history trades as single fills, error codes kept', () => {
  const book = parseOkxRestBook(
    parseFrame(
      '{"code":"0","msg":"","data":[{"asks":[["41006.8","0.60038921","0","1"]],"bids":[["41006.3","0.30178218","0","2"]],"ts":"1629966436396","seqId":3366}]}'
    )
  )
  assert.ok(book.ok)
  assert.deepEqual(book.value, {
    asks: [{ price: '41006.8', size: '0.60038921' }],
    bids: [{ price: '41006.3', size: '0.30178218' }],
    ts: 1629966436396,
    seqId: 3366
  })
  const noSeq = parseOkxRestBook(parseFrame('{"code":"0","msg":"","data":[{"asks":[],"bids":[],"ts":"1"}]}'))
  assert.ok(!noSeq.ok && /seqId/.test(noSeq.reason))

  // The docs' history-trades response (newest first).
  const history = parseOkxHistoryTrades(
    parseFrame(
      '{"code":"0","msg":"","data":[{"instId":"BTC-USDT","side":"sell","sz":"0.00001","px":"29963.2","tradeId":"242720720","ts":"1654161646974"},{"instId":"BTC-USDT","side":"sell","sz":"0.00001","px":"29964.1","tradeId":"242720719","ts":"1654161641568"}]}'
    ),
    1654161650000
  )
  assert.ok(history.ok)
  assert.deepEqual(
    history.value.map((t) => [t.id, t.price, t.amount, t.side, t.ts, t.first_id]),
    [
      ['242720720', '29963.2', '0.00001', 'sell', 1654161646974, undefined],
      ['242720719', '29964.1', '0.00001', 'sell', 1654161641568, undefined]
    ]
  )
  const limited = parseOkxHistoryTrades(parseFrame('{"code":"50011","msg":"Too Many Requests","data":[]}'), 1)
  assert.ok(!limited.ok && limited.code === '50011')
})
