import assert from 'node:assert/strict'
import { startBridge, type RunningBridge } from '../../src/bridge/run.ts'
import type { DepthMessage, PriceLevel, TradeMessage } from '../../src/core/messages.ts'
import type { ExchangeOptions } from '../../src/feed/exchanges/index.ts'
import { startFeed, type RunningFeed } from '../../src/feed/run.ts'
import { readTopic } from './kafka-read.ts'
import { eventually, silentLog, type TestEnv } from './stack.ts'
import { tradeKey } from './trade-messages.ts'

/**
 * Exchange connector tests: a feed against a local exchange server (src/sim/<exchange>/server.ts) producing
 * to the test's topics, and what it produced read back from Kafka.
 */

/** A local exchange server, as far as these helpers use it. */
export interface LocalExchangeServer {
  close(): Promise<void>
}

/** A local exchange server that keeps the true book of each symbol and can hold its market still. */
export interface LocalBookServer {
  pause(): void
  resume(): void
  /** The top `levels` of the book (an exchange's own sequence fields beside them are shown on a mismatch). */
  book(symbol: string, levels: number): { bids: PriceLevel[]; asks: PriceLevel[] }
}

/**
 * Starts a feed with `options` (the test's instance id, no stats log) against `server`, runs `scenario`, then
 * stops the feed and closes the server, whatever happened. Both stop inside the test, before testEnv's cleanup
 * deletes the topics (its t.after runs first), or the feed's flush never ends.
 */
export async function withFeed(
  env: TestEnv,
  server: LocalExchangeServer,
  options: ExchangeOptions,
  scenario: (feed: RunningFeed) => Promise<void>
): Promise<void> {
  await runFeed(env, server, options, false, scenario)
}

/**
 * withFeed with a bridge of the test's config beside the feed (started after it): the end-to-end tests. The
 * feed stops first, then the bridge, then the server.
 */
export async function withFeedAndBridge(
  env: TestEnv,
  server: LocalExchangeServer,
  options: ExchangeOptions,
  scenario: (feed: RunningFeed, bridge: RunningBridge) => Promise<void>
): Promise<void> {
  await runFeed(env, server, options, true, (feed, bridge) => scenario(feed, bridge as RunningBridge))
}

async function runFeed(
  env: TestEnv,
  server: LocalExchangeServer,
  options: ExchangeOptions,
  withBridge: boolean,
  scenario: (feed: RunningFeed, bridge: RunningBridge | null) => Promise<void>
): Promise<void> {
  let feed: RunningFeed
  try {
    feed = await startFeed(
      env.config,
      { ...options, instanceId: `test-feed-${env.id}`, statsIntervalMs: 0 },
      silentLog
    )
  } catch (error) {
    await server.close()
    throw error
  }
  let bridge: RunningBridge | null = null
  try {
    if (withBridge) bridge = await startBridge(env.config, silentLog)
    await scenario(feed, bridge)
  } finally {
    await feed.stop()
    await bridge?.stop()
    await server.close()
  }
}

/** How many messages of `type` ('trade', 'depth', …) the feed has produced so far. */
export function produced(feed: RunningFeed, type: string): number {
  return feed.publisher.counts.get(type) ?? 0
}

/** The last depth message of each symbol in Kafka (one symbol stays in one partition, in order). */
export async function latestDepth(env: TestEnv, feed: RunningFeed): Promise<Map<string, DepthMessage>> {
  await feed.publisher.flush()
  const messages = await readTopic(env.config, env.config.topics.depth, produced(feed, 'depth'), 10_000)
  const latest = new Map<string, DepthMessage>()
  for (const m of messages) {
    const depth = JSON.parse(m.value) as DepthMessage
    latest.set(depth.symbol, depth)
  }
  return latest
}

export interface BooksMatch {
  env: TestEnv
  feed: RunningFeed
  server: LocalBookServer
  symbols: string[]
  timeoutMs: number
}

/**
 * Pauses the server and waits until the feed's latest published book of every symbol equals the server's top 20
 * (bids and asks, level for level, as text); then asserts 20 levels a side in the first symbol's book, resumes
 * the server and returns that depth message for the exchange's own checks.
 */
export async function waitBooksMatch(
  { env, feed, server, symbols, timeoutMs }: BooksMatch,
  what: string
): Promise<DepthMessage> {
  server.pause()
  let last = ''
  await eventually(
    async () => {
      const latest = await latestDepth(env, feed)
      const diffs = symbols.filter((symbol) => {
        const depth = latest.get(symbol)
        const book = server.book(symbol, 20)
        return !depth || JSON.stringify([depth.bids, depth.asks]) !== JSON.stringify([book.bids, book.asks])
      })
      last = diffs
        .map((symbol) => describeDiff(symbol, latest.get(symbol), server.book(symbol, 20)))
        .join('\n')
      return diffs.length === 0
    },
    () => `${what}: books differ\n${last}`,
    timeoutMs
  )
  const depth = (await latestDepth(env, feed)).get(symbols[0] ?? '')
  assert.ok(depth, `${what}: a depth message of ${symbols[0]}`)
  assert.equal(depth.bids.length, 20)
  assert.equal(depth.asks.length, 20)
  server.resume()
  return depth
}

/** Level by level: [feed bid, server bid, feed ask, server ask], with the server's sequence fields. */
function describeDiff(
  symbol: string,
  depth: DepthMessage | undefined,
  { bids, asks, ...sequence }: { bids: PriceLevel[]; asks: PriceLevel[] }
): string {
  const rows = Array.from({ length: 20 }, (_, i) =>
    JSON.stringify([depth?.bids[i], bids[i], depth?.asks[i], asks[i]])
  )
  return `${symbol} (server ${JSON.stringify(sequence)}):\n${rows.join('\n')}`
}

/** A local exchange server that can cut its clients off. */
export interface DroppingServer {
  /** Connections accepted so far. */
  connections(): number
  dropConnections(): void
}

/** Drops the server's connections and waits until the feed has connected again (more than `before` in all). */
export async function dropAndReconnect(server: DroppingServer, before = server.connections()): Promise<void> {
  server.dropConnections()
  await eventually(
    async () => server.connections() > before,
    () => 'the feed did not reconnect',
    10_000
  )
}

/** Every trade the feed has produced, read back from Kafka (after a flush), as produced: duplicates kept. */
export async function readProducedTrades<T extends TradeMessage = TradeMessage>(
  env: TestEnv,
  feed: RunningFeed
): Promise<T[]> {
  await feed.publisher.flush()
  const messages = await readTopic(env.config, env.config.topics.trades, produced(feed, 'trade'))
  return messages.map((m) => JSON.parse(m.value) as T)
}

/** The trades the feed has produced, by `symbol:id`: the same trade produced twice is one entry. */
export async function producedTrades(env: TestEnv, feed: RunningFeed): Promise<Map<string, TradeMessage>> {
  return new Map((await readProducedTrades(env, feed)).map((trade) => [tradeKey(trade), trade]))
}
