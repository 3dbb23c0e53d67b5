import assert from 'node:assert/strict'
import { test } from 'node:test'
import { okxTradeIdRange, type OkxTradeMessage } from '../../../src/core/mappers/okx.ts'
import { loadConfig } from '../../../src/config/load.ts'
import {
  createSession,
  exchangeOptionsFromFlags,
  exchanges,
  type ExchangeOptions
} from '../../../src/feed/exchanges/index.ts'
import { okxSession } from '../../../src/feed/exchanges/okx.ts'
import { okxTradeHistory } from '../../../src/feed/exchanges/okx-trade-history.ts'
import type { RunningFeed } from '../../../src/feed/run.ts'
import { RateLimited } from '../../../src/feed/trade-history.ts'
import { startOkxServer, type OkxServerOptions, type RunningOkxServer } from '../../../src/sim/okx/server.ts'
import { storedTrades, waitStoredTrades } from '../../helpers/clickhouse-rows.ts'
import {
  dropAndReconnect,
  produced,
  readProducedTrades,
  waitBooksMatch,
  withFeed,
  withFeedAndBridge
} from '../../helpers/exchange-feed.ts'
import {
  count,
  eventually,
  normalizeDecimal,
  queryRows,
  silentLog,
  testEnv,
  type TestEnv
} from '../../helpers/stack.ts'
import { tradeKey } from '../../helpers/trade-messages.ts'

const SYMBOLS = ['BTC-USDT', 'ETH-USDT']
/** Decimal text -> integer units of 1e-18, exact. */
const units = (text: string): bigint => {
  const [int = '0', frac = ''] = text.split('.')
  return BigInt(int + frac.padEnd(18, '0'))
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const startOkx = (options: Partial<OkxServerOptions>): Promise<RunningOkxServer> =>
  startOkxServer({
    symbols: SYMBOLS,
    seed: 7,
    tradesPerSecond: 40,
    depthEveryMs: 100,
    changesPerUpdate: 4,
    maxFillsPerOrder: 3,
    ...options
  })

const okxFeed = (server: RunningOkxServer): ExchangeOptions => ({
  exchange: 'okx',
  url: server.url,
  restUrl: server.restUrl,
  symbols: SYMBOLS,
  depthIntervalMs: 300,
  pingAfterMs: 1_000,
  retryDelayMs: 200
})

/** Pauses the server and waits until the feed's latest published book equals the server's top 20, per symbol. */
async function booksMatch(env: TestEnv, feed: RunningFeed, server: RunningOkxServer, what: string) {
  const depth = await waitBooksMatch({ env, feed, server, symbols: SYMBOLS, timeoutMs: 15_000 }, what)
  assert.equal(depth.exchange, 'okx')
}

const unsubscribes = (server: RunningOkxServer, instId: string) =>
  server.requests().filter((r) => r.op === 'unsubscribe' && r.channel === 'books' && r.instId === instId)
    .length

test('OKX with WS snapshots and checksums: exact trades, the book equals the server top 20 after sync, checksum and gap resyncs, a sequence reset, pings on a quiet connection, a reconnect', async (t) => {
  const env = await testEnv(t)
  const server = await startOkx({ checksum: 'crc32', keepAliveMs: 4_000, idleTimeoutMs: 2_500 })
  await withFeed(env, server, okxFeed(server), async (feed) => {
    /** The feed resubscribed the book of `instId` once (after `cause`), and the books match again. */
    const resynced = async (instId: string, cause: string, what: string) => {
      await eventually(
        async () => unsubscribes(server, instId) === 1,
        () => `no resubscribe after ${cause}`,
        10_000
      )
      await booksMatch(env, feed, server, what)
    }
    await eventually(
      async () => produced(feed, 'trade') >= 20 && produced(feed, 'depth') >= 2,
      () => `produced ${JSON.stringify([...feed.publisher.counts])}`,
      15_000
    )
    await booksMatch(env, feed, server, 'after the first sync')
    assert.equal(
      server.restLog().filter((r) => r.path === '/api/v5/market/books').length,
      0,
      'WS snapshots: no REST'
    )

    // A corrupted level: the checksum (of the true book) no longer matches -> unsubscribe, subscribe, snapshot.
    server.corruptNextBookUpdate('BTC-USDT')
    await resynced('BTC-USDT', 'a checksum mismatch', 'after the checksum resync')
    server.injectGap('ETH-USDT')
    await resynced('ETH-USDT', 'a gap', 'after the gap resync')

    // After maintenance seqId restarts below prevSeqId: applied, no resync.
    server.resetSequence('BTC-USDT')
    await sleep(600)
    assert.equal(unsubscribes(server, 'BTC-USDT'), 1, 'a sequence reset is not a gap')
    await booksMatch(env, feed, server, 'after a sequence reset')

    // Quiet: no trades, no book changes for longer than the idle timeout; pings keep the connection,
    // the empty keep-alive update (prevSeqId == seqId) changes nothing.
    const connections = server.connections()
    server.pause()
    await sleep(4_800)
    server.resume()
    assert.equal(server.idleDrops(), 0, 'pings kept the quiet connection open')
    assert.ok(server.pongs() >= 2, `${server.pongs()} pongs`)
    assert.ok(server.keepAlives() >= 2, `${server.keepAlives()} keep-alive updates (one per symbol)`)
    assert.equal(server.connections(), connections)
    assert.equal(
      unsubscribes(server, 'BTC-USDT') + unsubscribes(server, 'ETH-USDT'),
      2,
      'keep-alive: no resync'
    )

    await dropAndReconnect(server, connections)
    await sleep(1_000)
    await booksMatch(env, feed, server, 'after the reconnect')
    server.pause()
    await sleep(300)
    const trades = await readProducedTrades<OkxTradeMessage>(env, feed)
    const byId = new Map(trades.map((trade) => [tradeKey(trade), trade]))
    const afterReconnect = server.sentTrades.filter(
      (s) => s.connection !== null && s.connection >= connections
    )
    assert.ok(afterReconnect.length >= 20, `${afterReconnect.length} trades after the reconnect`)
    for (const sent of afterReconnect)
      assert.ok(byId.has(tradeKey(sent)), `trade ${sent.symbol}:${sent.id} after the reconnect`)
    let aggregated = 0
    for (const sent of server.sentTrades) {
      const trade = byId.get(tradeKey(sent))
      // Not received live: made before the feed subscribed, or fetched as single fills over REST after the
      // reconnect (the end-to-end test checks those).
      if (!trade || trade.backfill) continue
      assert.deepEqual(
        [trade.price, trade.amount, trade.side, trade.ts, trade.first_id ?? trade.id],
        [sent.price, sent.quantity, sent.side, sent.ts, sent.firstId],
        `trade ${sent.id} exact`
      )
      if (sent.count > 1) aggregated++
    }
    assert.ok(aggregated > 5, `${aggregated} aggregated trades (count > 1)`)
    assert.ok(trades.some((t) => t.side === 'buy') && trades.some((t) => t.side === 'sell'), 'both sides')
    assert.equal(feed.publisher.rejectedCount, 0)
  })
})

test('OKX without a WS snapshot: books seeded from REST aligned by seqId (429 honoured), resynced from REST, and after a reconnect', async (t) => {
  const env = await testEnv(t)
  const server = await startOkx({ snapshotOnSubscribe: false, restBookDelayMs: 250 })
  server.rateLimitBooks(1, 1)
  await withFeed(env, server, okxFeed(server), async (feed) => {
    await eventually(
      async () => produced(feed, 'depth') >= 2,
      () => `produced ${JSON.stringify([...feed.publisher.counts])}`,
      15_000
    )
    await booksMatch(env, feed, server, 'after the REST seed')
    const books = () => server.restLog().filter((r) => r.path === '/api/v5/market/books')
    const limited = books().find((r) => r.status === 429)
    const retried =
      limited && books().find((r) => r.status === 200 && r.at > limited.at && r.query === limited.query)
    assert.ok(limited && retried, JSON.stringify(books()))
    assert.ok(retried.at - limited.at >= 1_000, `Retry-After honoured: ${retried.at - limited.at} ms`)
    assert.match(limited.query, /instId=(BTC|ETH)-USDT&sz=400/)

    const before = books().length
    server.injectGap('BTC-USDT')
    await eventually(
      async () => books().length > before,
      () => 'no REST book after a gap',
      10_000
    )
    assert.equal(unsubscribes(server, 'BTC-USDT'), 0, 'no WS snapshots on this server: resync from REST')
    await booksMatch(env, feed, server, 'after the REST resync')

    await dropAndReconnect(server)
    await sleep(1_000)
    await booksMatch(env, feed, server, 'after the reconnect')
    assert.equal(feed.publisher.rejectedCount, 0)
  })
})

test('registry: OKX at wss://ws.okx.com:8443/ws/v5/public, --okx-rest-url reaches the session and the trade history', () => {
  const config = loadConfig({}, '/nonexistent/.env')
  const options = exchangeOptionsFromFlags(
    'okx',
    { symbols: ['btc-usdt'], depthIntervalMs: 500 },
    { okxRestUrl: 'http://127.0.0.1:2' },
    config
  )
  assert.deepEqual(options, {
    exchange: 'okx',
    url: 'wss://ws.okx.com:8443/ws/v5/public',
    restUrl: 'http://127.0.0.1:2',
    symbols: ['BTC-USDT'],
    depthIntervalMs: 500
  })
  const sink = { message: () => undefined, rejected: () => undefined }
  assert.equal(createSession(options, sink, silentLog).url, 'wss://ws.okx.com:8443/ws/v5/public')
  assert.ok(options.exchange === 'okx' && exchanges.okx.tradeHistory?.(options))
  const defaults = exchangeOptionsFromFlags('okx', { symbols: ['ETH-USDT'], depthIntervalMs: 1 }, {}, config)
  assert.equal(defaults.exchange === 'okx' && defaults.restUrl, 'https://www.okx.com')
})

test('session: subscribe requests, pong and acks are not data, error and notice events are logged, junk is rejected', () => {
  const logged: string[] = []
  const rejected: string[] = []
  const messages: unknown[] = []
  const log = {
    warn: (details: object, message: string) => logged.push(`warn ${message} ${JSON.stringify(details)}`),
    error: (details: object, message: string) => logged.push(`error ${message} ${JSON.stringify(details)}`)
  }
  const session = okxSession(
    { url: 'ws://x/ws/v5/public', restUrl: 'http://x', symbols: ['BTC-USDT'], depthIntervalMs: 0, log },
    { message: (m) => messages.push(m), rejected: (_frame, reason) => rejected.push(reason) }
  )
  assert.deepEqual(session.subscribeMessages(), [
    {
      id: '1',
      op: 'subscribe',
      args: [
        { channel: 'trades', instId: 'BTC-USDT' },
        { channel: 'books', instId: 'BTC-USDT' }
      ]
    }
  ])
  const sent: unknown[] = []
  const connection = {
    send: (m: unknown) => sent.push(m),
    sendText: (t: string) => sent.push(t),
    stop: () => undefined,
    signal: new AbortController().signal
  }
  session.onConnect?.()
  session.onFrame('pong', 1, connection)
  session.onFrame(
    '{"id":"1","event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"},"connId":"a"}',
    1,
    connection
  )
  session.onFrame(
    '{"event":"error","code":"60018","msg":"Wrong URL or channel:books,instId:NOPE-USDT doesn\'t exist.","connId":"a"}',
    1,
    connection
  )
  session.onFrame(
    '{"event":"notice","code":"64008","msg":"The connection will soon be closed for a service upgrade.","connId":"a"}',
    1,
    connection
  )
  assert.deepEqual(messages, [])
  assert.deepEqual(rejected, [])
  assert.match(logged[0] ?? '', /^error OKX refused a request .*60018/)
  assert.match(logged[1] ?? '', /^warn OKX notice .*64008/)
  session.onFrame('{"hello":1}', 1, connection)
  session.onFrame('not json', 1, connection)
  session.onFrame('{"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{}]}', 1, connection)
  assert.equal(rejected.length, 3)
  // A snapshot syncs the book and publishes it at once.
  session.onFrame(
    '{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[["8476.98","415","0","13"]],"bids":[["8476.97","256","0","12"]],"ts":"1597026383085","checksum":0,"prevSeqId":-1,"seqId":123456}]}',
    1597026383100,
    connection
  )
  assert.deepEqual(messages, [
    {
      v: 1,
      type: 'depth',
      exchange: 'okx',
      symbol: 'BTC-USDT',
      ts: 1597026383085,
      bids: [['8476.97', '256']],
      asks: [['8476.98', '415']],
      recv_ts: 1597026383100
    }
  ])
})

test('trade history page(): the fills after an id, oldest first, from REST; 429 -> RateLimited with Retry-After', async () => {
  const server = await startOkxServer({
    symbols: SYMBOLS,
    seed: 3,
    tradesPerSecond: 400,
    maxFillsPerOrder: 3
  })
  try {
    const history = okxTradeHistory({ restUrl: server.restUrl })
    const fills = () =>
      server.sentTrades
        .filter((s) => s.symbol === 'ETH-USDT')
        .flatMap((s) => s.fills.map((f) => ({ ...f, s })))
    await eventually(
      async () => fills().length >= 260,
      () => `${fills().length} fills`,
      10_000
    )
    server.pause()
    const all = fills()
    const start = BigInt(all[10]!.id)
    const signal = new AbortController().signal
    const first = await history.page('ETH-USDT', { id: start, ts: 0 }, signal)
    assert.equal(first.length, 100)
    assert.deepEqual(
      first.map((t) => t.id),
      all.slice(11, 111).map((f) => f.id),
      'the next 100 fills, oldest first'
    )
    for (const [i, trade] of first.entries()) {
      const fill = all[11 + i]!
      assert.deepEqual(
        [
          trade.symbol,
          trade.amount,
          trade.price,
          trade.side,
          trade.ts,
          trade.exchange,
          (trade as OkxTradeMessage).first_id
        ],
        ['ETH-USDT', fill.quantity, fill.s.price, fill.s.side, fill.s.ts, 'okx', undefined]
      )
      assert.deepEqual(okxTradeIdRange(trade), { first: BigInt(trade.id), last: BigInt(trade.id) })
    }
    const second = await history.page('ETH-USDT', { id: BigInt(first.at(-1)!.id), ts: 0 }, signal)
    assert.deepEqual(
      second.map((t) => t.id),
      all.slice(111, 211).map((f) => f.id)
    )
    const lastId = BigInt(all.at(-1)!.id)
    assert.deepEqual(await history.page('ETH-USDT', { id: lastId, ts: 0 }, signal), [], 'nothing newer yet')
    const tail = await history.page('ETH-USDT', { id: lastId - 3n, ts: 0 }, signal)
    assert.deepEqual(
      tail.map((t) => t.id),
      all.slice(-3).map((f) => f.id)
    )
    assert.match(server.restLog().at(-1)!.query, /^\?instId=ETH-USDT&type=1&after=\d+&limit=100$/)

    server.rateLimitHistory(1, 3)
    await assert.rejects(history.page('ETH-USDT', { id: start, ts: 0 }, signal), (error: unknown) => {
      assert.ok(error instanceof RateLimited)
      assert.equal(error.retryAfterMs, 3_000)
      return true
    })
    server.rateLimitHistory(1) // no Retry-After: the 2 s window of OKX's 20 requests / 2 s
    await assert.rejects(history.page('ETH-USDT', { id: start, ts: 0 }, signal), (error: unknown) => {
      assert.ok(error instanceof RateLimited)
      assert.equal(error.retryAfterMs, 2_000)
      return true
    })
    assert.equal(
      (await history.page('ETH-USDT', { id: start, ts: 0 }, signal)).length,
      100,
      'then served again'
    )
  } finally {
    await server.close()
  }
})

test('end to end: OKX server -> feed -> Kafka -> bridge -> ClickHouse, with the fills of a disconnect backfilled from REST: every fill counted once, exact decimals', async (t) => {
  const env = await testEnv(t)
  const { config, clickhouse } = env
  const db = config.clickhouse.database
  const server = await startOkx({ tradesPerSecond: 30 })
  await withFeedAndBridge(env, server, okxFeed(server), async (feed) => {
    await eventually(
      async () => produced(feed, 'trade') >= 30,
      () => `${produced(feed, 'trade')} trades`,
      15_000
    )
    const connections = server.connections()
    server.disconnectFor(2_000) // trading goes on: REST has what the socket missed
    await eventually(
      async () => server.connections() > connections && server.sentTrades.at(-1)?.connection === connections,
      () => 'the feed did not reconnect',
      15_000
    )
    await sleep(1_000)
    server.pause()
    await sleep(300)
    // The feed noticed the gap in the trade ids and fetched the fills inside it over REST (never past it:
    // those belong to a live aggregate).
    await feed.backfill!.idle()
    const all = await readProducedTrades<OkxTradeMessage>(env, feed)
    const live = all.filter((trade) => !trade.backfill)
    const backfilled = all.filter((trade) => trade.backfill)
    assert.ok(backfilled.length >= 20, `${backfilled.length} fills backfilled`)
    assert.equal(feed.backfill!.stats.unfilledTrades, 0)

    // Expected rows: per taker order either its aggregate (received live) or each of its fills (backfilled),
    // from the first trade the feed received on.
    const liveIds = new Set(live.map((trade) => `${trade.symbol}:${trade.id}`))
    const fillIds = new Set(backfilled.map((trade) => `${trade.symbol}:${trade.id}`))
    const firstSeen = new Map(
      SYMBOLS.map((s) => [
        s,
        live
          .filter((trade) => trade.symbol === s)
          .map((trade) => okxTradeIdRange(trade)!.first)
          .sort((a, b) => (a < b ? -1 : 1))[0]!
      ])
    )
    const seen = (sent: { symbol: string; firstId: string }) =>
      BigInt(sent.firstId) >= firstSeen.get(sent.symbol)!
    const expected = new Map<string, { price: string; amount: string; side: string }>()
    let aggregatesBackfilled = 0
    for (const sent of server.sentTrades) {
      const key = `${sent.symbol}:${sent.id}`
      if (liveIds.has(key)) {
        assert.ok(
          !sent.fills.some((f) => fillIds.has(`${sent.symbol}:${f.id}`)),
          `${key}: live and backfilled`
        )
        expected.set(key, { price: sent.price, amount: sent.quantity, side: sent.side })
        continue
      }
      if (!seen(sent)) continue // made before the feed subscribed
      aggregatesBackfilled++
      for (const fill of sent.fills) {
        assert.ok(fillIds.has(`${sent.symbol}:${fill.id}`), `fill ${sent.symbol}:${fill.id} backfilled`)
        expected.set(`${sent.symbol}:${fill.id}`, {
          price: sent.price,
          amount: fill.quantity,
          side: sent.side
        })
      }
    }
    assert.ok(aggregatesBackfilled >= 10, `${aggregatesBackfilled} taker orders made while disconnected`)
    assert.equal(expected.size, live.length + backfilled.length)

    await waitStoredTrades(env, expected.size, { exchange: 'okx', timeoutMs: 30_000 })
    for (const row of await storedTrades(env, 'okx')) {
      const want = expected.get(tradeKey(row))
      assert.ok(want, `unexpected row ${row.symbol}:${row.id}`)
      assert.deepEqual(
        [normalizeDecimal(row.price), normalizeDecimal(row.amount), row.side],
        [normalizeDecimal(want.price), normalizeDecimal(want.amount), want.side],
        `${row.symbol}:${row.id} exact`
      )
    }
    // Volume per symbol equals what the server traded from the first trade seen on: nothing twice.
    for (const symbol of SYMBOLS) {
      const traded = server.sentTrades
        .filter((s) => s.symbol === symbol && seen(s))
        .reduce((sum, s) => sum + units(s.quantity), 0n)
      const stored = await queryRows<{ v: string }>(
        clickhouse,
        `SELECT toString(sum(amount)) AS v FROM ${db}.trades FINAL WHERE exchange = 'okx' AND symbol = '${symbol}'`
      )
      assert.equal(units(stored[0]!.v), traded, `${symbol} volume`)
    }
    assert.ok(
      (await count(clickhouse, `SELECT count() AS n FROM ${db}.depth FINAL WHERE exchange = 'okx'`)) > 0,
      'depth rows'
    )
  })
})
