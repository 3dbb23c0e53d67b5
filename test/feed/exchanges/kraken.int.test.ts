import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import type { TradeMessage } from '../../../src/core/messages.ts'
import { loadConfig } from '../../../src/config/load.ts'
import {
  createSession,
  exchangeOptionsFromFlags,
  exchanges,
  type ExchangeOptions
} from '../../../src/feed/exchanges/index.ts'
import { krakenTradeHistory } from '../../../src/feed/exchanges/kraken-trade-history.ts'
import type { RunningFeed } from '../../../src/feed/run.ts'
import { RateLimited } from '../../../src/feed/trade-history.ts'
import { startKrakenServer, type RunningKrakenServer } from '../../../src/sim/kraken/server.ts'
import { assertTradesStored, storedTradeCount, storedTrades } from '../../helpers/clickhouse-rows.ts'
import {
  produced,
  producedTrades,
  waitBooksMatch,
  withFeed,
  withFeedAndBridge
} from '../../helpers/exchange-feed.ts'
import {
  count,
  eventually,
  silentLog,
  testEnv,
  waitCommittedToEnd,
  type TestEnv
} from '../../helpers/stack.ts'
import { tradeKey } from '../../helpers/trade-messages.ts'

const SYMBOLS = ['BTC/USD', 'ETH/USD']

const krakenFeed = (server: RunningKrakenServer): ExchangeOptions => ({
  exchange: 'kraken',
  url: server.url,
  restUrl: server.restUrl,
  symbols: SYMBOLS,
  depthIntervalMs: 300,
  pingIntervalMs: 500 // the server drops clients silent for 2 s: only the pings keep it alive
})

test('Kraken registry entry: wss://ws.kraken.com/v2 by default, --kraken-rest-url, a trade history', () => {
  const config = loadConfig({}, '/nonexistent/.env')
  const sink = { message: () => undefined, rejected: () => undefined }
  const options = exchangeOptionsFromFlags(
    'kraken',
    { symbols: ['btc/usd'], depthIntervalMs: 500 },
    { krakenRestUrl: 'http://127.0.0.1:2' },
    config
  )
  assert.ok(options.exchange === 'kraken')
  assert.deepEqual(
    [options.url, options.restUrl, options.symbols],
    ['wss://ws.kraken.com/v2', 'http://127.0.0.1:2', ['BTC/USD']]
  )
  assert.equal(createSession(options, sink, silentLog).url, 'wss://ws.kraken.com/v2')
  const history = exchanges.kraken.tradeHistory?.(options)
  assert.ok(history)
  const trade = {
    v: 1,
    type: 'trade',
    exchange: 'kraken',
    symbol: 'BTC/USD',
    id: '61044952',
    price: '1',
    amount: '1',
    side: 'buy',
    ts: 1,
    recv_ts: 1
  } as const
  assert.deepEqual(history.idRange(trade), { first: 61044952n, last: 61044952n })
})

test('Kraken: trades exact, the book equals the server top 20 after the first sync, a forced resync and a reconnect', async (t) => {
  const env = await testEnv(t)
  const server = await startKrakenServer({
    symbols: SYMBOLS,
    seed: 7,
    tradesPerSecond: 40,
    tickMs: 100,
    changesPerTick: 4,
    idleTimeoutMs: 2_000
  })
  await withFeed(env, server, krakenFeed(server), (feed) => scenario(feed, server, env))
})

async function scenario(feed: RunningFeed, server: RunningKrakenServer, env: TestEnv): Promise<void> {
  /** Pauses the market and waits until the feed's latest published book equals the server's, per symbol. */
  const booksMatch = async (what: string) => {
    const depth = await waitBooksMatch({ env, feed, server, symbols: SYMBOLS, timeoutMs: 15_000 }, what)
    assert.match(
      depth.bids[0]?.[1] ?? '',
      /^\d+\.\d{8}$/,
      'quantities as sent: 8 decimals, trailing zeros kept'
    )
  }

  await eventually(
    async () => produced(feed, 'trade') >= 20 && produced(feed, 'depth') >= 2,
    () => `produced ${JSON.stringify([...feed.publisher.counts])}`,
    15_000
  )
  await booksMatch('after the first sync')
  assert.deepEqual(
    SYMBOLS.map((s) => server.bookSubscriptions(s)),
    [1, 1]
  )

  server.corruptNextBookUpdate('BTC/USD')
  await eventually(
    async () => server.bookSubscriptions('BTC/USD') === 2,
    () => `no resubscribe after the checksum mismatch (${server.bookSubscriptions('BTC/USD')} subscriptions)`,
    10_000
  )
  assert.equal(server.bookSubscriptions('ETH/USD'), 1, 'only the broken book is resubscribed')
  assert.equal(server.connections(), 1, 'resynced without reconnecting')
  await booksMatch('after the resync')

  // The server drops clients silent for 2 s: connected for 3 s and more, the feed's application pings kept it.
  await eventually(
    async () => server.pings() >= 6,
    () => `${server.pings()} pings`,
    10_000
  )
  assert.equal(server.connections(), 1, 'never dropped for idleness')

  server.pause() // nothing in flight when the sockets are cut: every trade sent is either in Kafka or never sent
  await sleep(300)
  server.dropConnections()
  server.resume()
  await eventually(
    async () => server.connections() === 2,
    () => 'the feed did not reconnect',
    10_000
  )
  await sleep(1_000)
  await booksMatch('after the reconnect')

  server.pause()
  await sleep(300)
  const delivered = server.sentTrades.filter((s) => s.connections.length > 0)
  assert.ok(
    delivered.some((s) => s.connections.includes(1)),
    'trades after the reconnect'
  )
  // Trades made between the drop and the reconnect were never sent: the feed fetches them over REST.
  const firstSeen = new Map<string, bigint>()
  for (const sent of delivered) if (!firstSeen.has(sent.symbol)) firstSeen.set(sent.symbol, BigInt(sent.id))
  const made = server.sentTrades.filter(
    (s) => BigInt(s.id) >= (firstSeen.get(s.symbol) ?? BigInt(Number.MAX_SAFE_INTEGER))
  )
  let trades = await producedTrades(env, feed)
  await eventually(
    async () => {
      await feed.backfill!.idle()
      trades = await producedTrades(env, feed)
      return trades.size >= made.length
    },
    () => `${trades.size} of ${made.length} trades in Kafka`,
    15_000
  )
  assert.equal(trades.size, made.length, 'every trade the server made since the first one sent, once')
  assert.equal(feed.backfill!.stats.unfilledTrades, 0)
  for (const sent of delivered) {
    const trade = trades.get(tradeKey(sent))
    assert.ok(trade, `trade ${sent.symbol}:${sent.id} is in Kafka`)
    assert.deepEqual(
      [trade.price, trade.amount, trade.side, trade.ts, trade.exchange],
      [sent.price, sent.quantity, sent.side, sent.ts, 'kraken'],
      `trade ${sent.id} exact`
    )
  }
  assert.ok(
    [...trades.values()].some((t) => /0$/.test(t.amount)),
    'trailing zeros reach Kafka'
  )
  assert.ok(
    [...trades.values()].some((t) => t.side === 'sell') && [...trades.values()].some((t) => t.side === 'buy'),
    'both sides'
  )
  assert.equal(feed.publisher.rejectedCount, 0, 'status, acks, pongs and heartbeats are not dead letters')
}

test('Kraken trade history: pages by time, filtered by id, the whole gap exact; 429 Retry-After and the in-body limit', async () => {
  const server = await startKrakenServer({ symbols: SYMBOLS, seed: 11, tradesPerSecond: 400, tickMs: 50 })
  try {
    await eventually(
      async () => server.sentTrades.length >= 300,
      () => `${server.sentTrades.length} trades`,
      10_000
    )
    server.pause()
    const history = krakenTradeHistory({ restUrl: server.restUrl, pageSize: 7, rateLimitWaitMs: 1_500 })
    const made = server.sentTrades.filter((s) => s.symbol === 'BTC/USD')
    const first = made[0]
    assert.ok(first)
    const signal = AbortSignal.timeout(20_000)
    const got: TradeMessage[] = []
    let after = { id: BigInt(first.id), ts: first.ts }
    for (let page = await history.page('BTC/USD', after, signal); page.length > 0;) {
      got.push(...page)
      const last = page.at(-1) as TradeMessage
      after = { id: BigInt(last.id), ts: last.ts }
      page = await history.page('BTC/USD', after, signal)
    }
    assert.deepEqual(
      got.map((t) => [t.id, t.price, t.amount, t.side, t.ts, t.symbol]),
      made.slice(1).map((s) => [s.id, s.price, s.quantity, s.side, s.ts, 'BTC/USD']),
      'every trade after the first, in id order, exact'
    )
    assert.equal(history.idRange(got[0] as TradeMessage)?.first, BigInt(made[1]?.id ?? 0))
    assert.equal(server.historyRequests()[0]?.pair, 'XBTUSD', 'the REST altname, not the v2 symbol')
    assert.match(server.historyRequests()[0]?.since ?? '', /^\d{19}$/, 'since in nanoseconds')

    server.failTradeHistory(1, { retryAfterS: 3 })
    await assert.rejects(
      history.page('BTC/USD', { id: BigInt(first.id), ts: first.ts }, signal),
      (error: unknown) => error instanceof RateLimited && error.retryAfterMs === 3_000
    )
    server.failTradeHistory(1, { inBody: true })
    await assert.rejects(
      history.page('BTC/USD', { id: BigInt(first.id), ts: first.ts }, signal),
      (error: unknown) => error instanceof RateLimited && error.retryAfterMs === 1_500
    )
    const again = await history.page('BTC/USD', { id: BigInt(first.id), ts: first.ts }, signal)
    assert.equal(again[0]?.id, made[1]?.id, 'answers again once the limit is over')
  } finally {
    await server.close()
  }
})

test('Kraken end to end: local server -> feed -> Kafka -> bridge -> ClickHouse, exact rows and decimal text', async (t) => {
  const env = await testEnv(t)
  const server = await startKrakenServer({ symbols: SYMBOLS, seed: 23, tradesPerSecond: 60, tickMs: 100 })
  await withFeedAndBridge(env, server, krakenFeed(server), async (feed) => {
    await eventually(
      async () => produced(feed, 'trade') >= 100 && produced(feed, 'depth') >= 4,
      () => JSON.stringify([...feed.publisher.counts]),
      15_000
    )
    server.pause()
    await sleep(300)
    const delivered = server.sentTrades.filter((s) => s.connections.length > 0)
    await eventually(
      async () => feed.publisher.counts.get('trade') === delivered.length,
      () => `${feed.publisher.counts.get('trade')} of ${delivered.length} trades`,
      5_000
    )
    await feed.publisher.flush()
    await waitCommittedToEnd(env, [env.config.topics.trades, env.config.topics.depth])
    assert.equal(await storedTradeCount(env), delivered.length)
    assertTradesStored(
      await storedTrades(env, 'kraken'),
      delivered.map((sent) => ({ ...sent, amount: sent.quantity }))
    )
    const db = env.config.clickhouse.database
    const depthRows = await count(
      env.clickhouse,
      `SELECT count() AS n FROM ${db}.depth FINAL WHERE exchange = 'kraken' AND length(bids) = 20 AND length(asks) = 20`
    )
    assert.ok(depthRows >= 2, `${depthRows} depth rows of 20 levels`)
  })
})
