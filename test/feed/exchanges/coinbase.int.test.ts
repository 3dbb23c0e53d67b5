import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import type { TradeMessage } from '../../../src/core/messages.ts'
import { coinbaseTradeHistory } from '../../../src/feed/exchanges/coinbase-trade-history.ts'
import type { ExchangeOptions } from '../../../src/feed/exchanges/index.ts'
import type { RunningFeed } from '../../../src/feed/run.ts'
import { RateLimited } from '../../../src/feed/trade-history.ts'
import {
  startCoinbaseServer,
  type RunningCoinbaseServer,
  type SentCoinbaseTrade
} from '../../../src/sim/coinbase/server.ts'
import {
  assertStoredBooks,
  assertTradesStored,
  storedTrades,
  waitStoredTrades
} from '../../helpers/clickhouse-rows.ts'
import {
  produced,
  producedTrades,
  waitBooksMatch,
  withFeed,
  withFeedAndBridge
} from '../../helpers/exchange-feed.ts'
import { eventually, testEnv, waitCommittedToEnd, type TestEnv } from '../../helpers/stack.ts'
import { tradeKey } from '../../helpers/trade-messages.ts'

const SYMBOLS = ['BTC-USD', 'ETH-USD']

const coinbaseFeed = (server: RunningCoinbaseServer): ExchangeOptions => ({
  exchange: 'coinbase',
  url: server.url,
  restUrl: server.restUrl,
  symbols: SYMBOLS,
  depthIntervalMs: 300
})

/** What a connection sent, in order. */
const sentBy = (server: RunningCoinbaseServer, connection: number) =>
  server.received.filter((r) => r.connection === connection).map((r) => r.message)

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
  await withFeed(env, server, coinbaseFeed(server), (feed) => scenario(feed, server, env))
})

async function scenario(feed: RunningFeed, server: RunningCoinbaseServer, env: TestEnv): Promise<void> {
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

  /** Pauses the server and waits until the feed's latest published book equals the server's, per product. */
  const booksMatch = async (what: string) => {
    const depth = await waitBooksMatch({ env, feed, server, symbols: SYMBOLS, timeoutMs: 15_000 }, what)
    assert.equal(depth.exchange, 'coinbase')
  }

  await eventually(
    async () => produced(feed, 'trade') >= 20 && produced(feed, 'depth') >= 2,
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

  // So far every trade made reached Kafka (a reconnect's gap is inside the 50-trade snapshot). Enough of them to
  // mean something: the steps above can take less than a second on a quiet machine (CI once saw 39).
  await eventually(
    async () => server.sentTrades.length >= 40,
    () => `${server.sentTrades.length} trades made`,
    10_000
  )
  server.pause()
  await sleep(400) // the last 250 ms batch goes out
  // The market_trades snapshot is re-sent on every subscribe: the same trade twice is one trade.
  let trades = await producedTrades(env, feed)
  const before = [...server.sentTrades]
  for (const sent of before) {
    const trade = trades.get(tradeKey(sent))
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
      trades = await producedTrades(env, feed)
      return server.sentTrades.every((s) => trades.has(tradeKey(s)))
    },
    () => `missing ${server.sentTrades.filter((s) => !trades.has(tradeKey(s))).length} trades`,
    20_000
  )
  const stats = feed.backfill!.stats
  assert.ok(
    stats.gaps >= 1 && stats.backfilled > 0,
    `the refusal left a hole, filled over REST: ${JSON.stringify(stats)}`
  )
  assert.equal(stats.unfilledTrades, 0)
  for (const sent of server.sentTrades) {
    const trade = trades.get(tradeKey(sent))!
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
  const { config } = env
  const server = await startCoinbaseServer({ symbols: SYMBOLS, seed: 11, tradesPerSecond: 60, tickMs: 100 })
  server.pause()
  await withFeedAndBridge(env, server, coinbaseFeed(server), async (feed) => {
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
    await waitStoredTrades(env, sent.length, { timeoutMs: 20_000 })
    const stored = assertTradesStored(
      await storedTrades(env, 'coinbase'),
      sent.map((s) => ({ ...s, amount: s.quantity }))
    )
    assert.equal(stored.size, sent.length)
    // The latest book in ClickHouse is the server's top 20.
    await assertStoredBooks(env, 'coinbase', SYMBOLS, (symbol) => server.book(symbol, 20))
  })
})
