import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { DepthMessage, TradeMessage } from '../../../src/core/messages.ts'
import { startFeed, type RunningFeed } from '../../../src/feed/run.ts'
import { startBinanceServer, type RunningBinanceServer } from '../../../src/sim/binance-server.ts'
import { readTopic } from '../../helpers/kafka-read.ts'
import { eventually, silentLog, testEnv, type TestEnv } from '../../helpers/stack.ts'

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
  const feed = await startFeed(
    env.config,
    {
      exchange: 'binance',
      url: server.url,
      restUrl: server.restUrl,
      symbols: SYMBOLS,
      depthIntervalMs: 300,
      instanceId: `test-feed-${env.id}`,
      statsIntervalMs: 0
    },
    silentLog
  )
  // Stopped before testEnv's cleanup deletes the topics (its t.after runs first), or the flush never ends.
  try {
    await scenario(feed, server, env)
  } finally {
    await feed.stop()
    await server.close()
  }
})

async function scenario(feed: RunningFeed, server: RunningBinanceServer, env: TestEnv): Promise<void> {
  const produced = (type: string) => feed.publisher.counts.get(type) ?? 0

  /** The last depth message of each symbol in Kafka (one symbol stays in one partition, in order). */
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
        last = diffs
          .map((s) => `${s}: ${JSON.stringify(latest.get(s))} vs ${JSON.stringify(server.book(s, 5))}`)
          .join('\n')
        return diffs.length === 0
      },
      () => `${what}: books differ\n${last}`,
      20_000
    )
    const depth = (await latestDepth()).get('BTCUSDT') as DepthMessage
    assert.equal(depth.bids.length, 20)
    assert.equal(depth.asks.length, 20)
    assert.equal(depth.exchange, 'binance')
    server.resume()
  }

  const snapshots = () => server.snapshotRequests('BTCUSDT') + server.snapshotRequests('ETHUSDT')
  await eventually(
    async () => produced('trade') >= 20 && produced('depth') >= 2 && snapshots() >= 3,
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
  server.dropConnections()
  await eventually(
    async () => server.connections() > connections,
    () => 'the feed did not reconnect',
    10_000
  )
  await new Promise((resolve) => setTimeout(resolve, 1_500))
  await booksMatch('after the reconnect')
  server.pause() // no more trades while we read (frames already sent get 300 ms to arrive)
  await new Promise((resolve) => setTimeout(resolve, 300))
  await feed.publisher.flush()
  const trades = (await readTopic(env.config, env.config.topics.trades, produced('trade'))).map(
    (m) => JSON.parse(m.value) as TradeMessage
  )
  const byId = new Map(trades.map((trade) => [`${trade.symbol}:${trade.id}`, trade]))
  const afterReconnect = server.sentTrades.filter((s) => s.connection >= connections)
  assert.ok(afterReconnect.length >= 20, `${afterReconnect.length} trades after the reconnect`)
  for (const sent of afterReconnect) {
    const trade = byId.get(`${sent.symbol}:${sent.id}`)
    assert.ok(trade, `trade ${sent.symbol}:${sent.id} sent after the reconnect is in Kafka`)
  }
  for (const sent of server.sentTrades) {
    const trade = byId.get(`${sent.symbol}:${sent.id}`)
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
