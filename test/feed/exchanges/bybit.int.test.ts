import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { exchanges, tradeHistoryOf, type ExchangeOptions } from '../../../src/feed/exchanges/index.ts'
import type { RunningFeed } from '../../../src/feed/run.ts'
import { startBybitServer, type RunningBybitServer } from '../../../src/sim/bybit/server.ts'
import { assertStoredBooks, assertTradesStored, storedTrades } from '../../helpers/clickhouse-rows.ts'
import {
  produced,
  readProducedTrades,
  waitBooksMatch,
  withFeed,
  withFeedAndBridge
} from '../../helpers/exchange-feed.ts'
import { readTopic } from '../../helpers/kafka-read.ts'
import { eventually, testEnv, waitCommittedToEnd, type TestEnv } from '../../helpers/stack.ts'
import { tradeKey } from '../../helpers/trade-messages.ts'

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'DOGEUSDT']
/** Not listed on the server: its subscription is refused (success:false), the rest go on. */
const UNKNOWN = 'NOPEUSDT'

const bybitFeed = (server: RunningBybitServer, symbols: string[]): ExchangeOptions => ({
  exchange: 'bybit',
  url: server.url,
  symbols,
  depthIntervalMs: 300,
  pingIntervalMs: 500
})

test('Bybit: exact trades, the book equals the server top 20 after the first sync, a u gap, a service restart and a reconnect', async (t) => {
  const env = await testEnv(t)
  const server = await startBybitServer({
    symbols: SYMBOLS,
    seed: 42,
    tradesPerSecond: 40,
    tickMs: 100,
    changesPerTick: 4
  })
  await withFeed(env, server, bybitFeed(server, [...SYMBOLS, UNKNOWN]), (feed) => scenario(feed, server, env))
})

async function scenario(feed: RunningFeed, server: RunningBybitServer, env: TestEnv): Promise<void> {
  /** Pauses the server and waits until the feed's latest published book equals the server's, per symbol. */
  const booksMatch = async (what: string) => {
    const depth = await waitBooksMatch({ env, feed, server, symbols: SYMBOLS, timeoutMs: 20_000 }, what)
    assert.equal(depth.exchange, 'bybit')
  }
  const requests = (op: string, topic?: string) =>
    server.requests().filter((r) => r.op === op && (!topic || (r.args as string[]).includes(topic)))

  await eventually(
    async () => produced(feed, 'trade') >= 20 && produced(feed, 'depth') >= SYMBOLS.length,
    () => `produced ${JSON.stringify([...feed.publisher.counts])}`,
    20_000
  )
  // 6 symbols = 12 topics: two subscribe requests (spot takes at most 10 args), each with a req_id.
  const subscribes = requests('subscribe').filter((r) => r.connection === 0)
  assert.deepEqual(
    subscribes.map((r) => (r.args as string[]).length),
    [10, 2]
  )
  assert.ok(subscribes.every((r) => typeof r.reqId === 'string'))
  await booksMatch('after the first sync')

  // The refused symbol reached the DLQ with Bybit's answer; nothing else was rejected (pongs, acks).
  await feed.publisher.flush()
  const [letter] = await readTopic(env.config, env.config.topics.dlq, 1, 10_000)
  assert.match(letter?.value ?? '', /Bybit refused subscribe .*orderbook\.50\.NOPEUSDT.*handler not found/)
  // Pings every 500 ms here (20 s in production): wait for two rather than assume the time has passed.
  await eventually(
    async () => requests('ping').length >= 2,
    () => `${requests('ping').length} pings`,
    10_000
  )
  assert.ok(
    requests('ping').every((p) => typeof p.reqId === 'string'),
    'each ping has a req_id'
  )

  // A hole in u: the feed unsubscribes the book topic and subscribes it again (a new snapshot).
  server.injectGap('BTCUSDT')
  await eventually(
    async () =>
      requests('unsubscribe', 'orderbook.50.BTCUSDT').length === 1 &&
      requests('subscribe', 'orderbook.50.BTCUSDT').length === 2,
    () => `no resubscribe after the gap: ${JSON.stringify(server.requests().slice(-4))}`,
    10_000
  )
  await booksMatch('after the resync')

  // A service restart: a snapshot with u = 1 overwrites the book, deltas go on from 2; no resubscribe.
  server.restartService('ETHUSDT')
  await sleep(500)
  await booksMatch('after a service restart')
  assert.ok(server.book('ETHUSDT').updateId < 100, 'u started again at 1')
  assert.equal(requests('unsubscribe', 'orderbook.50.ETHUSDT').length, 0)

  // A reconnect that the server refuses for 1.5 s while it keeps trading. Paused first, so every trade sent
  // before the drop has arrived; what is made while nobody is connected is never sent.
  server.pause()
  await sleep(300)
  const connections = server.connections()
  server.disconnectFor(1_500)
  server.resume()
  await eventually(
    async () => server.connections() > connections && feed.connection.connected,
    () => 'the feed did not reconnect',
    15_000
  )
  await sleep(1_000)
  await booksMatch('after the reconnect')

  server.pause() // no more trades while we read (frames already sent get 300 ms to arrive)
  await sleep(300)
  const trades = await readProducedTrades(env, feed)
  assert.equal(trades.length, server.sentTrades.length, 'every trade sent arrived once')
  const byId = new Map(trades.map((trade) => [tradeKey(trade), trade]))
  assert.equal(byId.size, trades.length, 'no trade twice')
  for (const sent of server.sentTrades) {
    const trade = byId.get(tradeKey(sent))
    assert.ok(trade, `trade ${sent.symbol}:${sent.id} is in Kafka`)
    assert.deepEqual(
      [trade.price, trade.amount, trade.side, trade.exchange],
      [sent.price, sent.quantity, sent.side, 'bybit'],
      `trade ${sent.id} exact`
    )
  }
  assert.ok(
    trades.some((trade) => trade.side === 'sell') && trades.some((trade) => trade.side === 'buy'),
    'both sides'
  )
  assert.ok(
    trades.some((trade) => /^\d+\.\d*0$/.test(trade.price)),
    'trailing zeros kept as sent'
  )
  // Each connection's refused subscription was dead-lettered; nothing else (pongs, acks, unsubscribes) was.
  const letters = await readTopic(env.config, env.config.topics.dlq, feed.publisher.rejectedCount, 10_000)
  assert.equal(feed.publisher.rejectedCount, server.connections())
  for (const dead of letters) assert.match(dead.value, /Bybit refused subscribe .*NOPEUSDT/)

  // No gap filling for Bybit: trades made while the feed was away are lost to it, and the REST answer that
  // exists (recent-trade, newest first, at most 60 on spot) cannot page back to them.
  assert.equal(exchanges.bybit.tradeHistory, undefined)
  assert.equal(feed.backfill, null)
  assert.equal(
    tradeHistoryOf({ exchange: 'bybit', url: server.url, symbols: SYMBOLS, depthIntervalMs: 1 }),
    null
  )
  // (Ids are 19 digits: compared as BigInt. One counter for all symbols, so per symbol they skip.)
  const firstSent = BigInt(server.sentTrades[0]?.id ?? '0')
  const missed = server.madeTrades.filter((m) => !byId.has(tradeKey(m)) && BigInt(m.id) > firstSent)
  assert.ok(missed.length >= 20, `the disconnect made ${missed.length} trades the feed never saw`)
  const recent = (await (
    await fetch(`${server.restUrl}/v5/market/recent-trade?category=spot&symbol=BTCUSDT&limit=1000`)
  ).json()) as { retCode: number; result: { list: { execId: string; price: string }[] } }
  assert.equal(recent.retCode, 0)
  const btcMade = server.madeTrades.filter((m) => m.symbol === 'BTCUSDT')
  assert.equal(recent.result.list.length, Math.min(60, btcMade.length))
  assert.deepEqual(recent.result.list[0]?.execId, btcMade.at(-1)?.id, 'newest first')
}

test('Bybit end to end: local server -> feed -> Kafka -> bridge -> ClickHouse, exact counts and decimals', async (t) => {
  const env = await testEnv(t)
  const { config } = env
  const symbols = ['BTCUSDT', 'ETHUSDT']
  const server = await startBybitServer({ symbols, seed: 7, tradesPerSecond: 50, tickMs: 100 })
  await withFeedAndBridge(env, server, bybitFeed(server, symbols), async (feed) => {
    await eventually(
      async () => produced(feed, 'trade') >= 100 && produced(feed, 'depth') >= 4,
      () => `produced ${JSON.stringify([...feed.publisher.counts])}`,
      20_000
    )
    server.pause()
    await sleep(700) // the last trades arrive and the throttle's trailing depth message goes out
    await feed.publisher.flush()
    await waitCommittedToEnd(env, [config.topics.trades, config.topics.depth])

    const rows = await storedTrades(env, 'bybit')
    assert.equal(rows.length, server.sentTrades.length, 'one row per trade sent, no more, no fewer')
    const byKey = assertTradesStored(
      rows,
      server.sentTrades.map((sent) => ({ ...sent, amount: sent.quantity }))
    )
    assert.equal(byKey.size, rows.length)
    await assertStoredBooks(env, 'bybit', symbols, (symbol) => server.book(symbol, 20))
  })
})
