import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { startBridge } from '../../src/bridge/run.ts'
import { startFeed } from '../../src/feed/run.ts'
import { startBinanceServer } from '../../src/sim/binance/server.ts'
import { eventually, queryRows, silentLog, testEnv, waitCommittedToEnd } from '../helpers/stack.ts'

const SYMBOLS = ['BTCUSDT', 'ETHUSDT']

test('gap-free trades: every trade made during a 5 s disconnect is fetched over REST and lands in ClickHouse once', async (t) => {
  const env = await testEnv(t)
  const { config, clickhouse } = env
  const server = await startBinanceServer({
    symbols: SYMBOLS,
    seed: 7,
    tradesPerSecond: 50,
    depthEveryMs: 100
  })
  // The first history request is rate limited: the feed waits as long as Retry-After says, then goes on.
  server.failHistory(1, { retryAfterS: 1 })
  const feed = await startFeed(
    config,
    {
      exchange: 'binance',
      url: server.url,
      restUrl: server.restUrl,
      symbols: SYMBOLS,
      depthIntervalMs: 1_000,
      instanceId: `test-feed-${env.id}`,
      statsIntervalMs: 0
    },
    silentLog
  )
  const bridge = await startBridge(config, silentLog)
  /** Trades made since the first one the feed received, per symbol. */
  const madeSinceFirstSeen = () => {
    const first = new Map<string, number>()
    for (const sent of server.sentTrades) if (!first.has(sent.symbol)) first.set(sent.symbol, Number(sent.id))
    return server.madeTrades.filter((m) => Number(m.id) >= (first.get(m.symbol) ?? Infinity)).length
  }
  try {
    await eventually(
      async () => (feed.publisher.counts.get('trade') ?? 0) >= 50,
      () => 'no live trades',
      10_000
    )
    server.disconnectFor(5_000) // trading goes on; the feed cannot reconnect for 5 s
    await sleep(5_500)
    await eventually(
      async () => server.connections() >= 2 && feed.connection.connected,
      () => 'the feed did not reconnect',
      20_000
    )
    await sleep(1_000)
    server.pause() // a still market: everything it made must now arrive
    await eventually(
      async () => {
        await feed.backfill!.idle()
        return (feed.publisher.counts.get('trade') ?? 0) >= madeSinceFirstSeen()
      },
      () => `produced ${feed.publisher.counts.get('trade')} of ${madeSinceFirstSeen()}`,
      20_000
    )
    await feed.publisher.flush()
    await waitCommittedToEnd(env, [config.topics.trades])

    // Gaps are measured from the first trade the feed saw: trades made before it connected are not its own.
    const firstSeen = new Map<string, number>()
    for (const sent of server.sentTrades)
      if (!firstSeen.has(sent.symbol)) firstSeen.set(sent.symbol, Number(sent.id))
    const made = server.madeTrades.filter((m) => Number(m.id) >= (firstSeen.get(m.symbol) ?? Infinity))
    assert.equal(made.length, madeSinceFirstSeen())
    const missedLive = made.length - new Set(server.sentTrades.map((s) => `${s.symbol}:${s.id}`)).size
    assert.ok(missedLive >= 100, `the disconnect made a real hole in the live stream (${missedLive} trades)`)
    const stats = feed.backfill!.stats
    assert.equal(stats.unfilledTrades, 0, 'nothing left missing')
    assert.ok(stats.gaps >= 1 && stats.backfilled >= missedLive, JSON.stringify(stats))
    assert.ok(
      server.historyRequests().some((r) => r.status === 429),
      'the first history request was answered 429'
    )
    const db = config.clickhouse.database
    // (No GROUP BY on decimal columns: ClickHouse 18.16 crashes on it.)
    const rows = await queryRows<{ symbol: string; id: string; price: string }>(
      clickhouse,
      `SELECT symbol, id, toString(price) AS price FROM ${db}.trades FINAL`
    )
    const byKey = new Map<string, { price: string; n: number }>()
    for (const row of rows) {
      const key = `${row.symbol}:${row.id}`
      byKey.set(key, { price: row.price, n: (byKey.get(key)?.n ?? 0) + 1 })
    }
    assert.equal(byKey.size, made.length, 'one row per trade the server made, no more, no fewer')
    for (const trade of made) {
      const row = byKey.get(`${trade.symbol}:${trade.id}`)
      assert.ok(row, `trade ${trade.symbol}:${trade.id} is in ClickHouse`)
      assert.equal(row.n, 1, `trade ${trade.symbol}:${trade.id} once`)
      assert.equal(Number(row.price), Number(trade.price), `price of ${trade.id}`)
    }
  } finally {
    await feed.stop()
    await bridge.stop()
    await server.close()
  }
})
