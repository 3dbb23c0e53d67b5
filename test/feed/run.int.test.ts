import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import type { DeadLetterEnvelope } from '../../src/core/dead-letter.ts'
import { feedWithLocalExchange } from '../helpers/feed.ts'
import { startBridge } from '../../src/bridge/run.ts'
import { startFeed } from '../../src/feed/run.ts'
import { REFUSED_KEY } from '../../src/sim/protocols/polygon.ts'
import { simProtocols } from '../../src/sim/protocols/index.ts'
import { startSimServer } from '../../src/sim/server.ts'
import { readTopic } from '../helpers/kafka-read.ts'
import { count, eventually, silentLog, testEnv, waitCommittedToEnd } from '../helpers/stack.ts'

test('Wallex -> feed -> Kafka -> bridge -> ClickHouse: trades re-sent around a reconnect land once', async (t) => {
  const env = await testEnv(t)
  const { config, clickhouse } = env
  const { feed, sockets } = await feedWithLocalExchange(t, env)
  const bridge = await startBridge(config, silentLog)
  t.after(() => bridge.stop())

  // Second-resolution timestamps, as Wallex sends them, within the last hour.
  const second = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000)
  const frame = (i: number) =>
    JSON.stringify([
      'BTCUSDT@trade',
      {
        isBuyOrder: i % 2 === 0,
        quantity: `0.${i + 1}`,
        price: `98000.${String(i).padStart(2, '0')}`,
        timestamp: second.toISOString()
      }
    ])
  for (let i = 0; i < 50; i++) sockets[0]!.send(frame(i))
  sockets[0]!.send(frame(49)) // a genuine twin of the last trade: two rows
  await eventually(
    async () => feed.publisher.counts.get('trade') === 51,
    () => `${feed.publisher.counts.get('trade')}`,
    10_000
  )
  sockets[0]!.terminate()
  await eventually(
    async () => sockets.length === 2,
    () => 'feed did not reconnect',
    10_000
  )
  // After the reconnect the exchange re-sends the last 20 trades (and the twin), then new ones.
  for (let i = 30; i < 50; i++) sockets[1]!.send(frame(i))
  sockets[1]!.send(frame(49))
  for (let i = 50; i < 60; i++) sockets[1]!.send(frame(i))
  sockets[1]!.send('not json')
  await eventually(
    async () => feed.publisher.counts.get('trade') === 82,
    () => `${feed.publisher.counts.get('trade')}`,
    10_000
  )
  await feed.publisher.flush()

  await waitCommittedToEnd(env, [config.topics.trades])
  const db = config.clickhouse.database
  assert.equal(
    await count(clickhouse, `SELECT count() AS n FROM ${db}.trades FINAL`),
    61,
    '60 distinct trades + the twin'
  )
  assert.equal((await count(clickhouse, `SELECT count() AS n FROM ${db}.trades`)) >= 61, true)
  const [letter] = await readTopic(config, config.topics.dlq, 1)
  const body = JSON.parse(letter!.value) as DeadLetterEnvelope
  assert.equal(body.origin, 'feed')
  assert.equal(body.value, 'not json')
  assert.equal(body.truncated, false)
  assert.equal(body.exchange, 'wallex')
  assert.match(body.reason, /invalid JSON/)
})

test('an exchange refusing the feed for good (Polygon, bad key) settles feed.fatal with the reason: it exits, never idles', async (t) => {
  const env = await testEnv(t)
  const sim = await startSimServer(
    simProtocols.polygon!.protocol,
    { port: 0, tradesPerSecond: 10, bookEveryMs: 1_000, seed: 1 },
    silentLog
  )
  t.after(() => sim.close())
  const feed = await startFeed(
    env.config,
    {
      exchange: 'polygon',
      url: sim.url,
      apiKey: REFUSED_KEY,
      subscriptions: ['XT.BTC-USD'],
      instanceId: `test-feed-refused-${env.id}`,
      statsIntervalMs: 0
    },
    silentLog
  )
  t.after(() => feed.stop())
  const fatal = await Promise.race([feed.fatal, sleep(10_000).then(() => null)])
  assert.ok(fatal, 'feed.fatal settled (the CLI then stops the feed and exits 2)')
  assert.equal((fatal as Error & { code?: string }).code, 'TB_EXCHANGE_REFUSED')
  assert.match(fatal.message, /polygon refused the connection: .*auth_failed/)
  assert.equal(feed.connection.connected, false, 'and it stopped connecting')
})
