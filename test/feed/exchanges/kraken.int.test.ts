import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { startBridge } from '../../../src/bridge/run.ts'
import type { DepthMessage, TradeMessage } from '../../../src/core/messages.ts'
import { loadConfig } from '../../../src/config/load.ts'
import { createSession, exchangeOptionsFromFlags, exchanges } from '../../../src/feed/exchanges/index.ts'
import { krakenTradeHistory } from '../../../src/feed/exchanges/kraken-trade-history.ts'
import { startFeed, type RunningFeed } from '../../../src/feed/run.ts'
import { RateLimited } from '../../../src/feed/trade-history.ts'
import { startKrakenServer, type RunningKrakenServer } from '../../../src/sim/kraken-server.ts'
import { readTopic } from '../../helpers/kafka-read.ts'
import {
  count,
  eventually,
  normalizeDecimal,
  queryRows,
  silentLog,
  testEnv,
  waitCommittedToEnd,
  type TestEnv
} from '../../helpers/stack.ts'

const SYMBOLS = ['BTC/USD', 'ETH/USD']

async function krakenFeed(env: TestEnv, server: RunningKrakenServer): Promise<RunningFeed> {
  return startFeed(
    env.config,
    {
      exchange: 'kraken',
      url: server.url,
      restUrl: server.restUrl,
      symbols: SYMBOLS,
      depthIntervalMs: 300,
      pingIntervalMs: 500, // the server drops clients silent for 2 s: only the pings keep it alive
      instanceId: `test-feed-${env.id}`,
      statsIntervalMs: 0
    },
    silentLog
  )
}

/** Trades the server delivered, and what the feed produced of them, read back from Kafka. */
async function producedTrades(env: TestEnv, feed: RunningFeed): Promise<Map<string, TradeMessage>> {
  await feed.publisher.flush()
  const messages = await readTopic(
    env.config,
    env.config.topics.trades,
    feed.publisher.counts.get('trade') ?? 0
  )
  return new Map(
    messages.map((m) => {
      const trade = JSON.parse(m.value) as TradeMessage
      return [`${trade.symbol}:${trade.id}`, trade]
    })
  )
}

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
  const feed = await krakenFeed(env, server)
  // Stopped before testEnv's cleanup deletes the topics (its t.after runs first), or the flush never ends.
  try {
    await scenario(feed, server, env)
  } finally {
    await feed.stop()
    await server.close()
  }
})

async function scenario(feed: RunningFeed, server: RunningKrakenServer, env: TestEnv): Promise<void> {
  const produced = (type: string) => feed.publisher.counts.get(type) ?? 0
  const latestDepth = async (): Promise<Map<string, DepthMessage>> => {
    await feed.publisher.flush()
    const messages = await readTopic(env.config, env.config.topics.depth, produced('depth'), 10_000)
    return new Map(
      messages.map((m) => {
        const depth = JSON.parse(m.value) as DepthMessage
        return [depth.symbol, depth]
      })
    )
  }
  /** Pauses the market and waits until the feed's latest published book equals the server's, per symbol. */
  const booksMatch = async (what: string) => {
    server.pause()
    let last = ''
    await eventually(
      async () => {
        const latest = await latestDepth()
        const diffs = SYMBOLS.filter((symbol) => {
          const depth = latest.get(symbol)
          const book = server.book(symbol, 20)
          return !depth || JSON.stringify([depth.bids, depth.asks]) !== JSON.stringify([book.bids, book.asks])
        })
        last = diffs
          .map(
            (s) =>
              `${s}: ${JSON.stringify(latest.get(s)?.bids.slice(0, 3))} vs ${JSON.stringify(server.book(s, 3).bids)}`
          )
          .join('\n')
        return diffs.length === 0
      },
      () => `${what}: books differ\n${last}`,
      15_000
    )
    const depth = (await latestDepth()).get('BTC/USD') as DepthMessage
    assert.equal(depth.bids.length, 20)
    assert.equal(depth.asks.length, 20)
    assert.match(
      depth.bids[0]?.[1] ?? '',
      /^\d+\.\d{8}$/,
      'quantities as sent: 8 decimals, trailing zeros kept'
    )
    server.resume()
  }

  await eventually(
    async () => produced('trade') >= 20 && produced('depth') >= 2,
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
    const trade = trades.get(`${sent.symbol}:${sent.id}`)
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
  const feed = await krakenFeed(env, server)
  const bridge = await startBridge(env.config, silentLog)
  try {
    await eventually(
      async () =>
        (feed.publisher.counts.get('trade') ?? 0) >= 100 && (feed.publisher.counts.get('depth') ?? 0) >= 4,
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
    const db = env.config.clickhouse.database
    assert.equal(await count(env.clickhouse, `SELECT count() AS n FROM ${db}.trades FINAL`), delivered.length)
    const rows = await queryRows<{
      symbol: string
      id: string
      price: string
      amount: string
      side: string
      ts: string
    }>(
      env.clickhouse,
      `SELECT symbol, id, toString(price) AS price, toString(amount) AS amount, toString(side) AS side, ts
       FROM ${db}.trades FINAL WHERE exchange = 'kraken'`
    )
    const byId = new Map(rows.map((row) => [`${row.symbol}:${row.id}`, row]))
    for (const sent of delivered) {
      const row = byId.get(`${sent.symbol}:${sent.id}`)
      assert.ok(row, `row ${sent.symbol}:${sent.id}`)
      assert.equal(normalizeDecimal(row.price), normalizeDecimal(sent.price), `price of ${sent.id}`)
      assert.equal(normalizeDecimal(row.amount), normalizeDecimal(sent.quantity), `amount of ${sent.id}`)
      assert.equal(row.side, sent.side)
      assert.equal(Number(row.ts), sent.ts)
    }
    const depthRows = await count(
      env.clickhouse,
      `SELECT count() AS n FROM ${db}.depth FINAL WHERE exchange = 'kraken' AND length(bids) = 20 AND length(asks) = 20`
    )
    assert.ok(depthRows >= 2, `${depthRows} depth rows of 20 levels`)
  } finally {
    await feed.stop()
    await bridge.stop()
    await server.close()
  }
})
