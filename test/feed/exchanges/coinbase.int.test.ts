import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { startBridge } from '../../../src/bridge/run.ts'
import type { DepthMessage, TradeMessage } from '../../../src/core/messages.ts'
import { coinbaseTradeHistory } from '../../../src/feed/exchanges/coinbase-trade-history.ts'
import { startFeed, type RunningFeed } from '../../../src/feed/run.ts'
import { RateLimited } from '../../../src/feed/trade-history.ts'
import {
  startCoinbaseServer,
  type RunningCoinbaseServer,
  type SentCoinbaseTrade
} from '../../../src/sim/coinbase-server.ts'
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

const SYMBOLS = ['BTC-USD', 'ETH-USD']

function startCoinbaseFeed(env: TestEnv, server: RunningCoinbaseServer): Promise<RunningFeed> {
  return startFeed(
    env.config,
    {
      exchange: 'coinbase',
      url: server.url,
      restUrl: server.restUrl,
      symbols: SYMBOLS,
      depthIntervalMs: 300,
      instanceId: `test-feed-${env.id}`,
      statsIntervalMs: 0
    },
    silentLog
  )
}

/** What a connection sent, in order. */
const sentBy = (server: RunningCoinbaseServer, connection: number) =>
  server.received.filter((r) => r.connection === connection).map((r) => r.message)

async function readTrades(env: TestEnv, feed: RunningFeed): Promise<Map<string, TradeMessage>> {
  await feed.publisher.flush()
  const produced = feed.publisher.counts.get('trade') ?? 0
  const messages = await readTopic(env.config, env.config.topics.trades, produced)
  // The market_trades snapshot is re-sent on every subscribe: the same trade twice is one trade.
  return new Map(
    messages.map((m) => {
      const trade = JSON.parse(m.value) as TradeMessage
      return [`${trade.symbol}:${trade.id}`, trade]
    })
  )
}

function assertExact(trade: TradeMessage, sent: SentCoinbaseTrade, rest = false): void {
  assert.deepEqual(
    [trade.exchange, trade.price, trade.amount, trade.side, trade.ts],
    [
      'coinbase',
      rest ? sent.restPrice : sent.price,
      rest ? sent.restQuantity : sent.quantity,
      sent.side,
      sent.ts
    ],
    `trade ${sent.symbol}:${sent.id} exact`
  )
}

test('Coinbase: one channel per subscribe, every trade exact, the book equals the server top 20 after the first sync, a lost message (resubscribe) and a reconnect; a refused spell is filled from REST', async (t) => {
  const env = await testEnv(t)
  const server = await startCoinbaseServer({ symbols: SYMBOLS, seed: 42, tradesPerSecond: 40, tickMs: 100 })
  server.pause() // no trades before the feed subscribes: then every trade made must reach Kafka
  const feed = await startCoinbaseFeed(env, server)
  // Stopped before testEnv's cleanup deletes the topics (its t.after runs first), or the flush never ends.
  try {
    await scenario(feed, server, env)
  } finally {
    await feed.stop()
    await server.close()
  }
})

async function scenario(feed: RunningFeed, server: RunningCoinbaseServer, env: TestEnv): Promise<void> {
  const produced = (type: string) => feed.publisher.counts.get(type) ?? 0

  await eventually(
    async () => sentBy(server, 0).length >= 3,
    () => `subscribed with ${JSON.stringify(server.received)}`,
    10_000
  )
  assert.deepEqual(sentBy(server, 0), [
    { type: 'subscribe', channel: 'heartbeats' },
    { type: 'subscribe', product_ids: SYMBOLS, channel: 'market_trades' },
    { type: 'subscribe', product_ids: SYMBOLS, channel: 'level2' }
  ])
  server.resume()

  /** The last depth message of each product in Kafka (one product stays in one partition, in order). */
  const latestDepth = async (): Promise<Map<string, DepthMessage>> => {
    await feed.publisher.flush()
    const messages = await readTopic(env.config, env.config.topics.depth, produced('depth'), 10_000)
    const latest = new Map<string, DepthMessage>()
    for (const m of messages) {
      const depth = JSON.parse(m.value) as DepthMessage
      latest.set(depth.symbol, depth)
    }
    return latest
  }
  /** Pauses the server and waits until the feed's latest published book equals the server's, per product. */
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
          .map((s) => `${s}: ${JSON.stringify(latest.get(s))} vs ${JSON.stringify(server.book(s, 5))}`)
          .join('\n')
        return diffs.length === 0
      },
      () => `${what}: books differ\n${last}`,
      15_000
    )
    const depth = (await latestDepth()).get('BTC-USD') as DepthMessage
    assert.equal(depth.bids.length, 20)
    assert.equal(depth.asks.length, 20)
    assert.equal(depth.exchange, 'coinbase')
    server.resume()
  }

  await eventually(
    async () => produced('trade') >= 20 && produced('depth') >= 2,
    () => `produced ${JSON.stringify([...feed.publisher.counts])}`,
    15_000
  )
  await booksMatch('after the first sync')

  // A level2 update is lost on its way: the next message's sequence_num jumps; the feed resubscribes level2.
  const connection = server.connections() - 1
  server.injectGap('BTC-USD')
  await eventually(
    async () => sentBy(server, connection).length >= 5,
    () => `no resubscribe after the gap: ${JSON.stringify(sentBy(server, connection))}`,
    10_000
  )
  assert.deepEqual(sentBy(server, connection).slice(3), [
    { type: 'unsubscribe', product_ids: SYMBOLS, channel: 'level2' },
    { type: 'subscribe', product_ids: SYMBOLS, channel: 'level2' }
  ])
  await booksMatch('after the resync')

  const connections = server.connections()
  server.dropConnections()
  await eventually(
    async () => server.connections() > connections && sentBy(server, connections).length >= 3,
    () => 'the feed did not reconnect and subscribe',
    10_000
  )
  await booksMatch('after the reconnect')

  // So far every trade made reached Kafka (a reconnect's gap is inside the 50-trade snapshot).
  server.pause()
  await sleep(400) // the last 250 ms batch goes out
  let trades = await readTrades(env, feed)
  const before = [...server.sentTrades]
  for (const sent of before) {
    const trade = trades.get(`${sent.symbol}:${sent.id}`)
    assert.ok(trade, `trade ${sent.symbol}:${sent.id} is in Kafka`)
    assertExact(trade, sent)
  }
  assert.equal(trades.size, before.length, 'exactly the trades the server made')
  assert.ok(before.length >= 40, `${before.length} trades`)
  assert.ok(before.some((s) => s.side === 'buy') && before.some((s) => s.side === 'sell'), 'both sides')

  // Refused for 3 s while trading goes on: more trades than the 50-trade snapshot; the REST history has them.
  server.resume()
  const reconnections = server.connections()
  server.disconnectFor(3_000)
  await eventually(
    async () => server.connections() > reconnections && sentBy(server, reconnections).length >= 3,
    () => 'the feed did not come back after the refusal',
    15_000
  )
  await sleep(500)
  server.pause()
  await sleep(400)
  // The feed noticed the hole in the trade ids and fetched it over REST (src/feed/backfill.ts).
  await eventually(
    async () => {
      await feed.backfill!.idle()
      trades = await readTrades(env, feed)
      return server.sentTrades.every((s) => trades.has(`${s.symbol}:${s.id}`))
    },
    () => `missing ${server.sentTrades.filter((s) => !trades.has(`${s.symbol}:${s.id}`)).length} trades`,
    20_000
  )
  const stats = feed.backfill!.stats
  assert.ok(
    stats.gaps >= 1 && stats.backfilled > 0,
    `the refusal left a hole, filled over REST: ${JSON.stringify(stats)}`
  )
  assert.equal(stats.unfilledTrades, 0)
  for (const sent of server.sentTrades) {
    const trade = trades.get(`${sent.symbol}:${sent.id}`)!
    assertExact(trade, sent, trade.backfill === true)
  }
  assert.equal(trades.size, server.sentTrades.length, 'exactly the trades the server made')
  assert.equal(feed.publisher.rejectedCount, 0)
}

test('Coinbase trade history: pages after an id oldest first with the REST text, 429 honoured', async (t) => {
  const server = await startCoinbaseServer({
    symbols: ['BTC-USD'],
    seed: 7,
    tradesPerSecond: 100,
    tickMs: 20
  })
  t.after(() => server.close())
  await eventually(
    async () => server.sentTrades.length >= 40,
    () => `${server.sentTrades.length} trades`,
    10_000
  )
  server.pause()
  const all = [...server.sentTrades]
  const history = coinbaseTradeHistory({ restUrl: server.restUrl, tradeHistoryLimit: 10 })
  const signal = new AbortController().signal
  const from = all[4] as SentCoinbaseTrade

  const page = await history.page('BTC-USD', { id: BigInt(from.id), ts: from.ts }, signal)
  assert.deepEqual(
    page.map((trade) => trade.id),
    all.slice(5, 15).map((s) => s.id),
    'the 10 trades after the id, oldest first'
  )
  for (const [i, trade] of page.entries()) assertExact(trade, all[5 + i] as SentCoinbaseTrade, true)
  assert.match(page[0]?.price ?? '', /^\d+\.\d{8}$/, 'REST decimals kept as sent (8 places)')
  const query = server.tradeHistoryLog().at(-1)?.query
  assert.equal(query, `?limit=10&after=${BigInt(from.id) + 11n}`, '`after` pages towards older trades')
  const trade = page[0] as TradeMessage
  assert.deepEqual(history.idRange(trade), { first: BigInt(trade.id), last: BigInt(trade.id) })

  const newest = all[all.length - 1] as SentCoinbaseTrade
  assert.deepEqual(await history.page('BTC-USD', { id: BigInt(newest.id), ts: newest.ts }, signal), [])
  const tail = await history.page('BTC-USD', { id: BigInt(newest.id) - 3n, ts: 0 }, signal)
  assert.deepEqual(
    tail.map((t) => t.id),
    all.slice(-3).map((s) => s.id),
    'a short last page'
  )

  server.failTradeHistory(1, { retryAfterS: 2 })
  await assert.rejects(
    history.page('BTC-USD', { id: BigInt(from.id), ts: 0 }, signal),
    (error: unknown) => error instanceof RateLimited && error.retryAfterMs === 2_000
  )
  server.failTradeHistory(1) // no Retry-After (Coinbase documents none): one second
  await assert.rejects(
    history.page('BTC-USD', { id: BigInt(from.id), ts: 0 }, signal),
    (error: unknown) => error instanceof RateLimited && error.retryAfterMs === 1_000
  )
  await assert.rejects(history.page('NOPE-USD', { id: 1n, ts: 0 }, signal), /HTTP 404/)
  assert.equal((await history.page('BTC-USD', { id: BigInt(from.id), ts: 0 }, signal)).length, 10)
})

test('Coinbase end to end: local server -> feed -> Kafka -> bridge -> ClickHouse, exact rows and decimals', async (t) => {
  const env = await testEnv(t)
  const { config, clickhouse } = env
  const db = config.clickhouse.database
  const server = await startCoinbaseServer({ symbols: SYMBOLS, seed: 11, tradesPerSecond: 60, tickMs: 100 })
  server.pause()
  const feed = await startCoinbaseFeed(env, server)
  const bridge = await startBridge(config, silentLog)
  try {
    await eventually(
      async () => sentBy(server, 0).length >= 3,
      () => 'the feed did not subscribe',
      10_000
    )
    server.resume()
    await sleep(2_500)
    server.pause()
    await sleep(1_000) // the last batch and the trailing depth message go out
    await feed.publisher.flush()
    await waitCommittedToEnd(env, [config.topics.trades, config.topics.depth], 60_000)

    const sent = server.sentTrades
    assert.ok(sent.length >= 100, `${sent.length} trades`)
    await eventually(
      async () => (await count(clickhouse, `SELECT count() AS n FROM ${db}.trades FINAL`)) === sent.length,
      async () =>
        `rows=${await count(clickhouse, `SELECT count() AS n FROM ${db}.trades FINAL`)} expected ${sent.length}`,
      20_000
    )
    const rows = await queryRows<{
      symbol: string
      id: string
      price: string
      amount: string
      side: string
      ts: string
    }>(
      clickhouse,
      `SELECT symbol, id, toString(price) AS price, toString(amount) AS amount, toString(side) AS side, ts
       FROM ${db}.trades FINAL WHERE exchange = 'coinbase'`
    )
    const stored = new Map(rows.map((r) => [`${r.symbol}:${r.id}`, r]))
    assert.equal(stored.size, sent.length)
    for (const s of sent) {
      const row = stored.get(`${s.symbol}:${s.id}`)
      assert.ok(row, `trade ${s.symbol}:${s.id} in ClickHouse`)
      assert.deepEqual(
        [normalizeDecimal(row.price), normalizeDecimal(row.amount), row.side, Number(row.ts)],
        [normalizeDecimal(s.price), normalizeDecimal(s.quantity), s.side, s.ts],
        `trade ${s.symbol}:${s.id} exact`
      )
    }
    // The latest book in ClickHouse is the server's top 20.
    for (const symbol of SYMBOLS) {
      const [latest] = await queryRows<{ bids: string[][]; asks: string[][] }>(
        clickhouse,
        `SELECT arrayMap(l -> [toString(l[1]), toString(l[2])], bids) AS bids,
                arrayMap(l -> [toString(l[1]), toString(l[2])], asks) AS asks
         FROM ${db}.depth FINAL WHERE exchange = 'coinbase' AND symbol = '${symbol}' ORDER BY ts DESC LIMIT 1`
      )
      const normalized = (levels: string[][]) => levels.map((l) => l.map(normalizeDecimal))
      const book = server.book(symbol, 20)
      assert.ok(latest, `a depth row of ${symbol}`)
      assert.deepEqual(normalized(latest.bids), normalized(book.bids), `${symbol} bids`)
      assert.deepEqual(normalized(latest.asks), normalized(book.asks), `${symbol} asks`)
    }
  } finally {
    await feed.stop()
    await bridge.stop()
    await server.close()
  }
})
