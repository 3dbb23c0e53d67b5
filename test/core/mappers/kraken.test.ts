import assert from 'node:assert/strict'
import { test } from 'node:test'
import zlib from 'node:zlib'
import { parse as parseLossless } from 'lossless-json'
import { KrakenBook, krakenChecksum } from '../../../src/core/books/kraken.ts'
import {
  classifyKrakenFrame,
  krakenRestPair,
  krakenSubscriptions,
  mapKrakenTrade,
  parseKrakenBook,
  parseKrakenRestTrades,
  parseRfc3339Ms,
  type KrakenBookData
} from '../../../src/core/mappers/kraken.ts'
import { parseMessage } from '../../../src/core/validate.ts'

/** Frames parsed with number literals kept as text, as the feed must. */
const parseFrame = (text: string): unknown => parseLossless(text, null, (literal: string) => literal)

// docs.kraken.com/api/docs/websocket-v2/trade, "Example: Snapshot" and "Example: Update", verbatim.
const tradeSnapshot = `{"channel":"trade","type":"snapshot","data":[
  {"symbol":"MATIC/USD","side":"buy","price":0.5147,"qty":6423.46326,"ord_type":"limit","trade_id":4665846,"timestamp":"2023-09-25T07:48:36.925533Z"},
  {"symbol":"MATIC/USD","side":"buy","price":0.5147,"qty":1136.19677815,"ord_type":"limit","trade_id":4665847,"timestamp":"2023-09-25T07:49:36.925603Z"}]}`
const tradeUpdate = `{"channel":"trade","type":"update","data":[
  {"symbol":"MATIC/USD","side":"sell","price":0.5117,"qty":40.0,"ord_type":"market","trade_id":4665906,"timestamp":"2023-09-25T07:49:37.708706Z"}]}`

// docs.kraken.com/api/docs/websocket-v2/book, "Snapshot Response" and "Update Response" examples: the levels
// (price, qty) and checksums as documented.
const DOC_BIDS = [
  ['0.5666', '4831.75496356'],
  ['0.5665', '6658.22734739'],
  ['0.5664', '18724.91513344'],
  ['0.5663', '11563.92544914'],
  ['0.5662', '14006.65365711'],
  ['0.5661', '17454.85679807'],
  ['0.566', '18097.1547'],
  ['0.5659', '33644.89175666'],
  ['0.5658', '148.3464'],
  ['0.5657', '606.70854372']
]
const DOC_ASKS = [
  ['0.5668', '4410.79769741'],
  ['0.5669', '4655.40412487'],
  ['0.567', '49844.89424998'],
  ['0.5671', '24306.41678'],
  ['0.5672', '29783.25223475'],
  ['0.5673', '57234.71239278'],
  ['0.5674', '45065.04744'],
  ['0.5675', '5912.76380354'],
  ['0.5676', '42514.92434778'],
  ['0.5677', '36304.0847022']
]
const DOC_UPDATE_BID = ['0.5657', '1098.3947558']
const DOC_SNAPSHOT_CHECKSUM = 2439117997
const DOC_UPDATE_CHECKSUM = 2114181697

/** A literal at the instrument's precision, by text (the docs render numbers as shortest floats). */
const atPrecision = (literal: string, decimals: number): string => {
  const [integer = '0', fraction = ''] = literal.split('.')
  return `${integer}.${fraction.padEnd(decimals, '0')}`
}
/** MATIC/USD: price precision 4, quantity precision 8 (what the wire carries). */
const wire = ([price = '', qty = '']: string[]) =>
  `{"price":${atPrecision(price, 4)},"qty":${atPrecision(qty, 8)}}`
const asIs = ([price = '', qty = '']: string[]) => `{"price":${price},"qty":${qty}}`
const bookFrame = (type: string, bids: string[], asks: string[], checksum: number) =>
  `{"channel":"book","type":"${type}","data":[{"symbol":"MATIC/USD","bids":[${bids.join(',')}],"asks":[${asks.join(',')}],"checksum":${checksum},"timestamp":"2023-10-06T17:35:55.440295Z"}]}`

const bookData = (text: string): KrakenBookData => {
  const frame = classifyKrakenFrame(parseFrame(text))
  assert.ok(frame.ok && frame.value.kind === 'book')
  const parsed = parseKrakenBook(frame.value.data)
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason)
  return parsed.value
}

test('the docs trade frames map to canonical trades: exact literals, taker side, trade_id, microseconds cut to ms', () => {
  const frame = classifyKrakenFrame(parseFrame(tradeSnapshot))
  assert.ok(frame.ok && frame.value.kind === 'trade')
  const trades = frame.value.data.map((item) => mapKrakenTrade(item, 1695628117000))
  assert.deepEqual(
    trades.map((t) => t.ok && [t.value.id, t.value.price, t.value.amount, t.value.side, t.value.ts]),
    [
      ['4665846', '0.5147', '6423.46326', 'buy', Date.UTC(2023, 8, 25, 7, 48, 36, 925)],
      ['4665847', '0.5147', '1136.19677815', 'buy', Date.UTC(2023, 8, 25, 7, 49, 36, 925)]
    ]
  )
  const update = classifyKrakenFrame(parseFrame(tradeUpdate))
  assert.ok(update.ok && update.value.kind === 'trade')
  const sell = mapKrakenTrade(update.value.data[0], 1695628177800)
  assert.ok(sell.ok)
  assert.deepEqual(sell.value, {
    v: 1,
    type: 'trade',
    exchange: 'kraken',
    symbol: 'MATIC/USD',
    id: '4665906',
    price: '0.5117',
    amount: '40.0', // as sent, trailing zero kept
    side: 'sell',
    ts: Date.UTC(2023, 8, 25, 7, 49, 37, 708),
    recv_ts: 1695628177800
  })
  assert.ok(parseMessage(Buffer.from(JSON.stringify(sell.value))).ok, 'a valid v1 trade')
  const tiny = mapKrakenTrade(
    parseFrame(
      '{"symbol":"SHIB/USD","side":"buy","price":1.2e-5,"qty":1E+3,"trade_id":1,"timestamp":"2023-09-25T07:49:37Z"}'
    ),
    0
  )
  assert.ok(tiny.ok)
  assert.deepEqual([tiny.value.price, tiny.value.amount], ['0.000012', '1000'])
})

test('bad trades are refused with the reason, never thrown', () => {
  const bad = (patch: Record<string, unknown>) =>
    mapKrakenTrade(
      {
        symbol: 'BTC/USD',
        side: 'buy',
        price: '1.0',
        qty: '2',
        trade_id: '7',
        timestamp: '2023-09-25T07:49:37.1Z',
        ...patch
      },
      0
    )
  assert.ok(bad({}).ok)
  for (const [patch, reason] of [
    [{ side: 'BUY' }, /side/],
    [{ trade_id: 'abc' }, /trade_id/],
    [{ price: '-1' }, /price/],
    [{ symbol: 'BTCUSD' }, /symbol/],
    [{ timestamp: 1695628177 }, /timestamp/]
  ] as const) {
    const result = bad(patch)
    assert.ok(!result.ok && reason.test(result.reason), JSON.stringify(patch))
  }
  assert.equal(parseRfc3339Ms('2023-10-06T17:35:55.440295Z'), Date.UTC(2023, 9, 6, 17, 35, 55, 440))
  assert.equal(parseRfc3339Ms('2023-10-06T17:35:55Z'), Date.UTC(2023, 9, 6, 17, 35, 55))
})

test('control frames: status keeps its connection_id above 2^53 exactly; pong, heartbeat, acks and refusals', () => {
  const status = classifyKrakenFrame(
    parseFrame(
      '{"channel":"status","data":[{"api_version":"v2","connection_id":13834774380200032777,"system":"online","version":"2.0.0"}],"type":"update"}'
    )
  )
  assert.deepEqual(status.ok && status.value, {
    kind: 'status',
    system: 'online',
    connectionId: '13834774380200032777'
  })
  assert.deepEqual(classifyKrakenFrame(parseFrame('{"channel":"heartbeat"}')), {
    ok: true,
    value: { kind: 'heartbeat' }
  })
  const pong = classifyKrakenFrame(
    parseFrame(
      '{"method":"pong","req_id":101,"time_in":"2023-09-24T14:10:23.799685Z","time_out":"2023-09-24T14:10:23.799703Z"}'
    )
  )
  assert.deepEqual(pong.ok && pong.value, { kind: 'pong', reqId: '101' })
  const ack = classifyKrakenFrame(
    parseFrame(
      '{"method":"subscribe","result":{"channel":"book","depth":10,"snapshot":true,"symbol":"ALGO/USD"},"success":true,"time_in":"2023-10-06T17:35:55.219022Z","time_out":"2023-10-06T17:35:55.219067Z"}'
    )
  )
  assert.deepEqual(ack.ok && ack.value, {
    kind: 'ack',
    method: 'subscribe',
    channel: 'book',
    symbol: 'ALGO/USD',
    success: true,
    error: null
  })
  const refused = classifyKrakenFrame(
    parseFrame(
      '{"error":"Currency pair not supported FAKECOIN/USD","method":"subscribe","req_id":2,"success":false,"symbol":"FAKECOIN/USD","time_in":"x","time_out":"y"}'
    )
  )
  assert.deepEqual(refused.ok && refused.value, {
    kind: 'ack',
    method: 'subscribe',
    channel: null,
    symbol: 'FAKECOIN/USD',
    success: false,
    error: 'Currency pair not supported FAKECOIN/USD'
  })
  const unknown = classifyKrakenFrame(parseFrame('{"channel":"ticker","data":[]}'))
  assert.ok(!unknown.ok && /unknown frame/.test(unknown.reason))
  assert.ok(!classifyKrakenFrame(parseFrame('[1,2]')).ok)
})

test('subscribe requests: trade without snapshot, book at the chosen depth with a snapshot', () => {
  let id = 0
  assert.deepEqual(
    krakenSubscriptions(['BTC/USD', 'ETH/USD'], 25, () => ++id),
    [
      {
        method: 'subscribe',
        params: { channel: 'trade', symbol: ['BTC/USD', 'ETH/USD'], snapshot: false },
        req_id: 1
      },
      {
        method: 'subscribe',
        params: { channel: 'book', symbol: ['BTC/USD', 'ETH/USD'], depth: 25, snapshot: true },
        req_id: 2
      }
    ]
  )
})

test('checksum: the docs MATIC/USD snapshot and update at instrument precision give 2439117997 and 2114181697', () => {
  const snapshot = bookData(
    bookFrame('snapshot', DOC_BIDS.map(wire), DOC_ASKS.map(wire), DOC_SNAPSHOT_CHECKSUM)
  )
  assert.equal(snapshot.bids[6]?.price, '0.5660', 'trailing zero kept from the wire text')
  assert.equal(krakenChecksum(snapshot.asks, snapshot.bids), DOC_SNAPSHOT_CHECKSUM)
  const book = new KrakenBook(10)
  assert.equal(book.snapshot(snapshot), 'ok')
  const update = bookData(bookFrame('update', [wire(DOC_UPDATE_BID)], [], DOC_UPDATE_CHECKSUM))
  assert.equal(book.update(update), 'ok')
  assert.equal(book.checksum(), DOC_UPDATE_CHECKSUM)
  assert.deepEqual(book.top(1), { bids: [['0.5666', '4831.75496356']], asks: [['0.5668', '4410.79769741']] })
  assert.deepEqual(book.top(10).bids[9], ['0.5657', '1098.39475580'])
})

test('checksum: the docs frames as printed (shortest floats, 0.566) do not verify — the text must be the wire text', () => {
  const printed = bookData(
    bookFrame('snapshot', DOC_BIDS.map(asIs), DOC_ASKS.map(asIs), DOC_SNAPSHOT_CHECKSUM)
  )
  assert.notEqual(krakenChecksum(printed.asks, printed.bids), DOC_SNAPSHOT_CHECKSUM)
  const book = new KrakenBook(10)
  assert.equal(book.snapshot(printed), 'mismatch')
  assert.equal(book.synced, false, 'a mismatching book is discarded')
  assert.equal(book.update(printed), 'unsynced', 'updates are ignored until a new snapshot')
})

test('book: levels applied in order (a price may repeat), qty 0 deletes, truncation to depth, then the checksum', () => {
  const level = (price: string, qty: string) => ({ price, qty })
  const book = new KrakenBook(3)
  const bids = [level('10.0', '1.00'), level('9.9', '1.00'), level('9.8', '1.00')]
  const asks = [level('10.1', '2.00'), level('10.2', '2.00'), level('10.3', '2.00')]
  assert.equal(book.snapshot({ bids, asks, checksum: krakenChecksum(asks, bids), ts: 1 }), 'ok')
  // A new best bid pushes 9.8 out of scope (no delete is sent); 10.1 is set, then set again; 10.3 deleted.
  const updateBids = [level('10.05', '0.50')]
  const updateAsks = [level('10.1', '9.00'), level('10.1', '3.00'), level('10.3', '0.00')]
  const expected = {
    bids: [level('10.05', '0.50'), level('10.0', '1.00'), level('9.9', '1.00')],
    asks: [level('10.1', '3.00'), level('10.2', '2.00')]
  }
  const checksum = krakenChecksum(expected.asks, expected.bids)
  assert.equal(book.update({ bids: updateBids, asks: updateAsks, checksum, ts: 2 }), 'ok')
  assert.deepEqual(book.top(5), {
    bids: [
      ['10.05', '0.50'],
      ['10.0', '1.00'],
      ['9.9', '1.00']
    ],
    asks: [
      ['10.1', '3.00'],
      ['10.2', '2.00']
    ]
  })
  assert.equal(book.lastTs, 2)
  // The same update in the wrong order (3.00 before 9.00) leaves another book: the checksum catches it.
  const other = new KrakenBook(3)
  other.snapshot({ bids, asks, checksum: krakenChecksum(asks, bids), ts: 1 })
  const swapped = [level('10.1', '3.00'), level('10.1', '9.00'), level('10.3', '0.00')]
  assert.equal(other.update({ bids: updateBids, asks: swapped, checksum, ts: 2 }), 'mismatch')
})

test('book frames: a side left out is empty; malformed levels, checksums and symbols are refused', () => {
  const parse = (data: unknown) => parseKrakenBook([data])
  const base = { symbol: 'BTC/USD', checksum: '1', timestamp: '2023-10-06T17:35:55.440295Z' }
  const oneSide = parse({ ...base, bids: [{ price: '1.0', qty: '2.00' }] })
  assert.ok(oneSide.ok)
  assert.deepEqual([oneSide.value.bids, oneSide.value.asks], [[{ price: '1.0', qty: '2.00' }], []])
  for (const [data, reason] of [
    [{ ...base, bids: {} }, /bid is not an array/],
    [{ ...base, bids: [{ price: '1.0' }] }, /bid level/],
    [{ ...base, asks: [{ price: 'x', qty: '1' }] }, /ask level/],
    [{ ...base, checksum: '4294967296' }, /checksum/],
    [{ ...base, symbol: 'XBTUSD' }, /symbol/]
  ] as const) {
    const result = parse(data)
    assert.ok(!result.ok && reason.test(result.reason), JSON.stringify(data))
  }
  assert.ok(!parseKrakenBook([]).ok)
})

test('checksum text: point removed, leading zeros stripped; an exponent literal is expanded', () => {
  // docs book-checksum-v2 guide: "45285.2" -> "452852", "0.00100000" -> "100000", appended price then qty.
  const { crc32 } = zlib
  assert.equal(krakenChecksum([{ price: '45285.2', qty: '0.00100000' }], []), crc32('452852100000') >>> 0)
  assert.equal(
    krakenChecksum([], [{ price: '0.00000048', qty: '1.5' }]),
    krakenChecksum([], [{ price: '4.8e-7', qty: '1.5' }])
  )
  // The trailing zeros matter: the same values written as shortest floats give another checksum.
  assert.notEqual(krakenChecksum([{ price: '45285.2', qty: '0.001' }], []), crc32('452852100000') >>> 0)
})

test('REST pair names: v2 BTC/USD is XBTUSD; DOGE is XDG; others lose the slash', () => {
  assert.equal(krakenRestPair('BTC/USD'), 'XBTUSD')
  assert.equal(krakenRestPair('ETH/BTC'), 'ETHXBT')
  assert.equal(krakenRestPair('DOGE/USD'), 'XDGUSD')
  assert.equal(krakenRestPair('SOL/EUR'), 'SOLEUR')
})

test('REST Trades: the docs example body, read by position whatever the pair key, time cut to ms', () => {
  // docs.kraken.com/api/docs/rest-api/get-recent-trades, response example.
  const body = `{"error":[],"result":{"XXBTZUSD":[
    ["30243.40000","0.34507674",1688669597.8277369,"b","m","",61044952],
    ["30243.30000","0.00376960",1688669598.2804112,"s","l","",61044953],
    ["30243.30000","0.01235716",1688669602.698379,"s","m","",61044956]],"last":"1688671969993150842"}}`
  const parsed = parseKrakenRestTrades(parseFrame(body), 'BTC/USD', 42)
  assert.ok(parsed.ok)
  assert.equal(parsed.last, '1688671969993150842')
  assert.deepEqual(
    parsed.trades.map((t) => [t.symbol, t.id, t.price, t.amount, t.side, t.ts, t.recv_ts]),
    [
      ['BTC/USD', '61044952', '30243.40000', '0.34507674', 'buy', 1688669597827, 42],
      ['BTC/USD', '61044953', '30243.30000', '0.00376960', 'sell', 1688669598280, 42],
      ['BTC/USD', '61044956', '30243.30000', '0.01235716', 'sell', 1688669602698, 42]
    ]
  )
  const limited = parseKrakenRestTrades(parseFrame('{"error":["EGeneral:Too many requests"]}'), 'BTC/USD', 0)
  assert.deepEqual(!limited.ok && limited.errors, ['EGeneral:Too many requests'])
  assert.ok(!parseKrakenRestTrades(parseFrame('{"error":[],"result":{}}'), 'BTC/USD', 0).ok)
})
