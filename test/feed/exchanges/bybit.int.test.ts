import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { startBridge } from '../../../src/bridge/run.ts'
import type { DepthMessage, PriceLevel, TradeMessage } from '../../../src/core/messages.ts'
import { exchanges, tradeHistoryOf } from '../../../src/feed/exchanges/index.ts'
import { startFeed, type RunningFeed } from '../../../src/feed/run.ts'
import { startBybitServer, type RunningBybitServer } from '../../../src/sim/bybit-server.ts'
import { readTopic } from '../../helpers/kafka-read.ts'
import {
  eventually,
  normalizeDecimal,
  queryRows,
  silentLog,
  testEnv,
  waitCommittedToEnd,
  type TestEnv
} from '../../helpers/stack.ts'

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'DOGEUSDT']
/** Not listed on the server: its subscription is refused (success:false), the rest go on. */
const UNKNOWN = 'NOPEUSDT'

const startBybitFeed = (env: TestEnv, server: RunningBybitServer, symbols: string[]) =>
  startFeed(
    env.config,
    {
      exchange: 'bybit',
      url: server.url,
      symbols,
      depthIntervalMs: 300,
      pingIntervalMs: 500,
      instanceId: `test-feed-${env.id}`,
      statsIntervalMs: 0
    },
    silentLog
  )

test('Bybit: exact trades, the book equals the server top 20 after the first sync, a u gap, a service restart and a reconnect', async (t) => {
  const env = await testEnv(t)
  const server = await startBybitServer({
    symbols: SYMBOLS,
    seed: 42,
    tradesPerSecond: 40,
    tickMs: 100,
    changesPerTick: 4
  })
  const feed = await startBybitFeed(env, server, [...SYMBOLS, UNKNOWN])
  // Stopped before testEnv's cleanup deletes the topics (its t.after runs first), or the flush never ends.
  try {
    await scenario(feed, server, env)
  } finally {
    await feed.stop()
    await server.close()
  }
})

async function scenario(feed: RunningFeed, server: RunningBybitServer, env: TestEnv): Promise<void> {
  const produced = (type: string) => feed.publisher.counts.get(type) ?? 0
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
  /** Pauses the server and waits until the feed's latest published book equals the server's, per symbol. */
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
        last = diffs.map((s) => `${s}: ${JSON.stringify(latest.get(s)?.bids.slice(0, 3))}`).join('\n')
        return diffs.length === 0
      },
      () => `${what}: books differ\n${last}`,
      20_000
    )
    const depth = (await latestDepth()).get('BTCUSDT') as DepthMessage
    assert.equal(depth.bids.length, 20)
    assert.equal(depth.asks.length, 20)
    assert.equal(depth.exchange, 'bybit')
    server.resume()
  }
  const requests = (op: string, topic?: string) =>
    server.requests().filter((r) => r.op === op && (!topic || (r.args as string[]).includes(topic)))

  await eventually(
    async () => produced('trade') >= 20 && produced('depth') >= SYMBOLS.length,
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
  await feed.publisher.flush()
  const trades = (await readTopic(env.config, env.config.topics.trades, produced('trade'))).map(
    (m) => JSON.parse(m.value) as TradeMessage
  )
  assert.equal(trades.length, server.sentTrades.length, 'every trade sent arrived once')
  const byId = new Map(trades.map((trade) => [`${trade.symbol}:${trade.id}`, trade]))
  assert.equal(byId.size, trades.length, 'no trade twice')
  for (const sent of server.sentTrades) {
    const trade = byId.get(`${sent.symbol}:${sent.id}`)
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
  const missed = server.madeTrades.filter((m) => !byId.has(`${m.symbol}:${m.id}`) && BigInt(m.id) > firstSent)
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
  const { config, clickhouse } = env
  const symbols = ['BTCUSDT', 'ETHUSDT']
  const server = await startBybitServer({ symbols, seed: 7, tradesPerSecond: 50, tickMs: 100 })
  const feed = await startBybitFeed(env, server, symbols)
  const bridge = await startBridge(config, silentLog)
  try {
    await eventually(
      async () =>
        (feed.publisher.counts.get('trade') ?? 0) >= 100 && (feed.publisher.counts.get('depth') ?? 0) >= 4,
      () => `produced ${JSON.stringify([...feed.publisher.counts])}`,
      20_000
    )
    server.pause()
    await sleep(700) // the last trades arrive and the throttle's trailing depth message goes out
    await feed.publisher.flush()
    await waitCommittedToEnd(env, [config.topics.trades, config.topics.depth])

    const db = config.clickhouse.database
    // (No GROUP BY on decimal columns: ClickHouse 18.16 crashes on it.)
    const rows = await queryRows<{ symbol: string; id: string; price: string; amount: string; side: string }>(
      clickhouse,
      `SELECT symbol, id, toString(price) AS price, toString(amount) AS amount, side FROM ${db}.trades FINAL WHERE exchange = 'bybit'`
    )
    assert.equal(rows.length, server.sentTrades.length, 'one row per trade sent, no more, no fewer')
    const byKey = new Map(rows.map((row) => [`${row.symbol}:${row.id}`, row]))
    assert.equal(byKey.size, rows.length)
    for (const sent of server.sentTrades) {
      const row = byKey.get(`${sent.symbol}:${sent.id}`)
      assert.ok(row, `trade ${sent.symbol}:${sent.id} is in ClickHouse`)
      assert.deepEqual(
        [normalizeDecimal(row.price), normalizeDecimal(row.amount), row.side],
        [normalizeDecimal(sent.price), normalizeDecimal(sent.quantity), sent.side],
        `trade ${sent.id} exact`
      )
    }

    const depth = await queryRows<{ symbol: string; ts: string; bids: string[][]; asks: string[][] }>(
      clickhouse,
      `SELECT symbol, ts, arrayMap(l -> arrayMap(x -> toString(x), l), bids) AS bids,
              arrayMap(l -> arrayMap(x -> toString(x), l), asks) AS asks
       FROM ${db}.depth FINAL WHERE exchange = 'bybit' ORDER BY ts`
    )
    const normalized = (levels: PriceLevel[] | string[][]) =>
      levels.map(([p, q]) => [normalizeDecimal(p ?? ''), normalizeDecimal(q ?? '')])
    for (const symbol of symbols) {
      const latest = depth.filter((row) => row.symbol === symbol).at(-1)
      assert.ok(latest, `a depth row for ${symbol}`)
      const book = server.book(symbol, 20)
      assert.deepEqual(normalized(latest.bids), normalized(book.bids), `${symbol} bids in ClickHouse`)
      assert.deepEqual(normalized(latest.asks), normalized(book.asks), `${symbol} asks in ClickHouse`)
    }
  } finally {
    await feed.stop()
    await bridge.stop()
    await server.close()
  }
})
