import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { RunningFeed } from '../../../src/feed/run.ts'
import { startBinanceServer, type RunningBinanceServer } from '../../../src/sim/binance/server.ts'
import {
  dropAndReconnect,
  produced,
  readProducedTrades,
  waitBooksMatch,
  withFeed
} from '../../helpers/exchange-feed.ts'
import { eventually, testEnv, type TestEnv } from '../../helpers/stack.ts'
import { tradeKey } from '../../helpers/trade-messages.ts'

const SYMBOLS = ['BTCUSDT', 'ETHUSDT']

test('Binance: trades exact, the local book equals the server top 20, resync after a gap, nothing lost after a reconnect', async (t) => {
  const env = await testEnv(t)
  const server = await startBinanceServer({
    symbols: SYMBOLS,
    seed: 42,
    tradesPerSecond: 40,
    depthEveryMs: 100,
    changesPerUpdate: 4,
    snapshotDelayMs: 250 // events arrive while the snapshot is on its way: they must be buffered
  })
  // The first snapshot request is rate limited (429, Retry-After: 1): the feed waits that long, then retries.
  server.failSnapshots(1, { retryAfterS: 1 })
  await withFeed(
    env,
    server,
    { exchange: 'binance', url: server.url, restUrl: server.restUrl, symbols: SYMBOLS, depthIntervalMs: 300 },
    (feed) => scenario(feed, server, env)
  )
})

async function scenario(feed: RunningFeed, server: RunningBinanceServer, env: TestEnv): Promise<void> {
  /** Pauses the server and waits until the feed's latest published book equals the server's, per symbol. */
  const booksMatch = async (what: string) => {
    const depth = await waitBooksMatch({ env, feed, server, symbols: SYMBOLS, timeoutMs: 20_000 }, what)
    assert.equal(depth.exchange, 'binance')
  }

  const snapshots = () => server.snapshotRequests('BTCUSDT') + server.snapshotRequests('ETHUSDT')
  await eventually(
    async () => produced(feed, 'trade') >= 20 && produced(feed, 'depth') >= 2 && snapshots() >= 3,
    () => `produced ${JSON.stringify([...feed.publisher.counts])}, ${snapshots()} snapshot requests`,
    20_000
  )
  await booksMatch('after the first sync')
  const log = server.snapshotLog()
  const limited = log.find((r) => r.status === 429)
  const retried = log.find((r) => limited && r.symbol === limited.symbol && r.at > limited.at)
  assert.ok(limited && retried, JSON.stringify(log))
  assert.ok(
    retried.at - limited.at >= 1_000,
    `Retry-After honoured: retried ${retried.at - limited.at} ms after the 429`
  )

  const before = server.snapshotRequests('BTCUSDT')
  server.injectGap('BTCUSDT')
  await eventually(
    async () => server.snapshotRequests('BTCUSDT') > before,
    () => 'no new snapshot request after the gap',
    10_000
  )
  await booksMatch('after the resync')

  const connections = server.connections()
  await dropAndReconnect(server, connections)
  await new Promise((resolve) => setTimeout(resolve, 1_500))
  await booksMatch('after the reconnect')
  server.pause() // no more trades while we read (frames already sent get 300 ms to arrive)
  await new Promise((resolve) => setTimeout(resolve, 300))
  const trades = await readProducedTrades(env, feed)
  const byId = new Map(trades.map((trade) => [tradeKey(trade), trade]))
  const afterReconnect = server.sentTrades.filter((s) => s.connection >= connections)
  assert.ok(afterReconnect.length >= 20, `${afterReconnect.length} trades after the reconnect`)
  for (const sent of afterReconnect) {
    const trade = byId.get(tradeKey(sent))
    assert.ok(trade, `trade ${sent.symbol}:${sent.id} sent after the reconnect is in Kafka`)
  }
  for (const sent of server.sentTrades) {
    const trade = byId.get(tradeKey(sent))
    if (!trade) continue // sent to a socket that was being terminated
    assert.deepEqual(
      [trade.price, trade.amount, trade.side],
      [sent.price, sent.quantity, sent.side],
      `trade ${sent.id} exact`
    )
  }
  assert.match(trades[0]?.price ?? '', /^\d+\.\d{8}$/, 'Binance decimals kept as sent')
  assert.ok(
    trades.some((trade) => trade.side === 'sell') && trades.some((trade) => trade.side === 'buy'),
    'both sides'
  )
  assert.equal(feed.publisher.rejectedCount, 0)
}
