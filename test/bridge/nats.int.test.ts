import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { startBridge, type RunningBridge } from '../../src/bridge/run.ts'
import { loadConfig, type Config } from '../../src/config/load.ts'
import type { DeadLetterEnvelope } from '../../src/core/dead-letter.ts'
import type { TradeMessage } from '../../src/core/messages.ts'
import { assertCandlesMatchTrades, finalCounts } from '../helpers/assertions.ts'
import { feedWithLocalExchange } from '../helpers/feed.ts'
import { capturedLog } from '../helpers/logs.ts'
import { readTopic } from '../helpers/kafka-read.ts'
import { uniqueTrades } from '../helpers/load.ts'
import { mixedMessages } from '../helpers/market-data.ts'
import { consumerInfo, natsClient, natsTestEnv, publishToNats, streamInfo } from '../helpers/nats.ts'
import { killAll, spawnBridge } from '../helpers/processes.ts'
import {
  count,
  eventually,
  produce,
  silentLog,
  testEnv,
  waitCommittedToEnd,
  type TestEnv
} from '../helpers/stack.ts'
import { startTcpProxy } from '../helpers/tcp-proxy.ts'
import { freePort } from '../helpers/ports.ts'
import { findNatsServer, probeNats } from '../../src/stack/nats-server.ts'

// Integration: real NATS JetStream (the stack's), Kafka and ClickHouse. Each test has its own subjects, stream
// and durable consumer (helpers/nats.ts), topics and database.

const trades = (env: TestEnv) => async () =>
  (await finalCounts(env.clickhouse, env.config.clickhouse.database)).trades ?? 0

function configWith(env: TestEnv, vars: Record<string, string>): Config {
  return loadConfig({ ...process.env, ...env.vars, ...vars }, '/nonexistent/.env')
}

async function startNatsBridge(
  env: TestEnv,
  instance: string,
  vars: Record<string, string> = {},
  log: Logger = silentLog
) {
  return startBridge(configWith(env, { INSTANCE_ID: `${instance}-${env.id}`, ...vars }), log, {
    source: 'nats'
  })
}

test('feed -> NATS JetStream -> bridge -> ClickHouse: every trade once, bad input dead-lettered, the stream emptied', async (t) => {
  const env = await natsTestEnv(t)
  const { config, clickhouse } = env
  const db = config.clickhouse.database
  const bridge = await startBridge(config, silentLog, { source: 'nats' })
  env.onEnd(() => bridge.stop())
  // The feed publishes on `<NATS_SUBJECT_PREFIX>.trade.wallex.BTCUSDT`, into the stream the bridge created.
  const { feed, sockets } = await feedWithLocalExchange(t, env, { natsUrl: config.nats.url })
  const second = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000).toISOString()
  const N = 300
  for (let i = 0; i < N; i++)
    sockets[0]!.send(
      JSON.stringify([
        'BTCUSDT@trade',
        { isBuyOrder: i % 2 === 0, quantity: `0.${i + 1}`, price: `98000.${i}`, timestamp: second }
      ])
    )
  await eventually(
    async () => feed.publisher.fanout?.published === N,
    () => `${feed.publisher.fanout?.published} published on NATS`,
    10_000
  )
  const nats = await natsClient(t, config)
  await publishToNats(nats, config, ['not json'])

  await eventually(
    async () => (await trades(env)()) === N,
    async () => `${await trades(env)()} rows, expected ${N}`
  )
  const [letter] = await readTopic(config, config.topics.dlq, 1)
  const body = JSON.parse(letter!.value) as DeadLetterEnvelope
  assert.equal(body.origin, 'bridge')
  assert.equal(body.value, 'not json')
  assert.equal(body.source_topic, `nats:${config.nats.stream}`)
  assert.equal(body.key, `${config.nats.subjectPrefix}.trade.test.RAW`, 'the subject it came on')
  assert.match(body.reason, /JSON/)

  // Acknowledged once inserted (or dead-lettered): the work queue is empty.
  await eventually(
    async () => (await streamInfo(nats, config)).state.messages === 0,
    async () => `${(await streamInfo(nats, config)).state.messages} messages left in the stream`,
    15_000
  )
  assert.ok(bridge.nats!.received >= N + 1, 'the heartbeat counts what came from NATS')
  assert.equal(bridge.source.assignmentSummary().length, 0, 'no Kafka partitions: Kafka was not read')
  assert.ok((await assertCandlesMatchTrades(clickhouse, db)) > 0)
  assert.equal(
    await count(clickhouse, `SELECT count() AS n FROM ${db}.trades FINAL WHERE symbol = 'BTCUSDT'`),
    N
  )
})

test('two bridges share the durable consumer: each gets some of the work, the total is exact', async (t) => {
  const env = await natsTestEnv(t)
  const bridges: RunningBridge[] = []
  env.onEnd(() => Promise.all(bridges.map((b) => b.stop())))
  bridges.push(await startNatsBridge(env, 'one'), await startNatsBridge(env, 'two'))
  const nats = await natsClient(t, env.config)
  const all = uniqueTrades(20_000, 31)
  // A stream, not one burst: 2,000 every 100 ms.
  for (let i = 0; i < all.length; i += 2_000) {
    await publishToNats(nats, env.config, all.slice(i, i + 2_000))
    await sleep(100)
  }
  await eventually(
    async () => (await trades(env)()) === all.length,
    async () => `${await trades(env)()} rows, expected ${all.length}`
  )
  const received = bridges.map((b) => b.nats!.received)
  assert.ok(
    received.every((n) => n > 0),
    `each bridge read some: ${received.join(' + ')}`
  )
  assert.ok(received[0]! + received[1]! >= all.length)
  await eventually(
    async () => (await streamInfo(nats, env.config)).state.messages === 0,
    async () => `${(await streamInfo(nats, env.config)).state.messages} left in the stream`,
    15_000
  )
  assert.ok((await assertCandlesMatchTrades(env.clickhouse, env.config.clickhouse.database)) > 0)
})

test('50,000 trades via NATS, 3 bridges, one killed -9 mid-stream: its unacknowledged messages go to the others, nothing lost or doubled', async (t) => {
  const env = await natsTestEnv(t)
  const nats = await natsClient(t, env.config)
  const args = ['--source', 'nats']
  const bridges = [1, 2, 3].map((ordinal) => spawnBridge(env, ordinal, {}, args))
  env.onEnd(() => killAll(bridges))
  // Both have joined the consumer (created by whichever came first).
  await eventually(
    async () => bridges.every((b) => b.output().includes('consuming the durable NATS consumer')),
    () => bridges.map((b) => b.output().slice(-2_000)).join('\n---\n'),
    30_000
  )
  const all = uniqueTrades(50_000, 47)
  const streaming = (async () => {
    for (let i = 0; i < all.length; i += 2_000) {
      await publishToNats(nats, env.config, all.slice(i, i + 2_000))
      await sleep(150)
    }
  })()
  await eventually(
    async () => (await trades(env)()) > 5_000,
    () => 'no rows yet'
  )
  bridges[0]!.child.kill('SIGKILL')
  await streaming
  await eventually(
    async () => (await trades(env)()) === all.length,
    async () => `${await trades(env)()} rows, expected ${all.length}\n${bridges[1]!.output().slice(-3_000)}`,
    120_000
  )
  await eventually(
    async () => (await streamInfo(nats, env.config)).state.messages === 0,
    async () => `${(await streamInfo(nats, env.config)).state.messages} left in the stream`,
    30_000
  )
  assert.ok((await assertCandlesMatchTrades(env.clickhouse, env.config.clickhouse.database)) > 0)
})

test('inserts failing: held messages are neither acknowledged nor redelivered; when their bridge dies they go to another', async (t) => {
  const env = await natsTestEnv(t)
  const { config } = env
  const clickhouseTarget = new URL(config.clickhouse.url)
  const clickhouseProxy = await startTcpProxy(
    clickhouseTarget.hostname,
    Number(clickhouseTarget.port || 8123)
  )
  const natsTarget = new URL(config.nats.url)
  const natsProxy = await startTcpProxy(natsTarget.hostname, Number(natsTarget.port || 4222))
  // The holder reaches ClickHouse and NATS through proxies the test cuts (its retries are expected: not shown).
  const { log, text: holderLog } = capturedLog()
  const holder = await startNatsBridge(
    env,
    'holder',
    {
      CLICKHOUSE_URL: `http://127.0.0.1:${clickhouseProxy.port}`,
      NATS_URL: `nats://127.0.0.1:${natsProxy.port}`,
      INSERT_RETRY_MAX_DELAY_MS: '300'
    },
    log
  )
  env.onEnd(async () => {
    await holder.stop(1_000)
    await clickhouseProxy.close()
    await natsProxy.close()
  })
  const nats = await natsClient(t, config)
  clickhouseProxy.block()
  const all = uniqueTrades(2_000, 53)
  await publishToNats(nats, config, all)
  await eventually(
    async () => holder.nats!.received === all.length,
    () => `holder read ${holder.nats!.received}`,
    15_000
  )
  // Twice the ack wait (3 s): the holder keeps renewing its leases while its insert retries.
  await sleep(2 * config.nats.ackWaitMs)
  const held = await consumerInfo(nats, config)
  assert.equal(held.num_ack_pending, all.length, 'none acknowledged while not in ClickHouse')
  assert.equal(held.num_redelivered, 0, 'none redelivered while their bridge lives')
  assert.equal((await streamInfo(nats, config)).state.messages, all.length)
  assert.equal(holder.nats!.redelivered, 0)

  // Another bridge joins; then the holder "dies": its NATS connection is cut, so its leases run out.
  const heir = await startNatsBridge(env, 'heir')
  env.onEnd(() => heir.stop())
  natsProxy.block()
  await eventually(
    async () => (await trades(env)()) === all.length,
    async () => `${await trades(env)()} rows, expected ${all.length}; heir read ${heir.nats!.received}`,
    60_000
  )
  assert.ok(heir.nats!.redelivered > 0, `the heir got redeliveries: ${heir.nats!.redelivered}`)
  assert.match(holderLog(), /NATS connection lost; reconnecting/)
  await eventually(
    async () => (await streamInfo(nats, config)).state.messages === 0,
    async () => `${(await streamInfo(nats, config)).state.messages} left in the stream`,
    15_000
  )
})

test('a message that arrives by both Kafka and NATS is one row, and candles count it once', async (t) => {
  const env = await natsTestEnv(t)
  const { config, clickhouse } = env
  const db = config.clickhouse.database
  const bridge = await startBridge(config, silentLog, { source: 'both' })
  env.onEnd(() => bridge.stop())
  const nats = await natsClient(t, config)
  const all: TradeMessage[] = uniqueTrades(5_000, 61)
  await Promise.all([
    publishToNats(nats, config, all),
    produce(
      config,
      all.map((m) => ({
        topic: config.topics.trades,
        key: `${m.exchange}:${m.symbol}`,
        value: JSON.stringify(m)
      }))
    )
  ])
  await eventually(
    async () =>
      bridge.nats!.received >= all.length &&
      (bridge.worker.stats.receivedByType.get('trade') ?? 0) >= 2 * all.length,
    () => `read ${bridge.worker.stats.receivedByType.get('trade')} trades, ${bridge.nats!.received} from NATS`
  )
  await eventually(
    async () => (await trades(env)()) === all.length,
    async () => `${await trades(env)()} rows, expected ${all.length}`
  )
  assert.ok((await count(clickhouse, `SELECT count() AS n FROM ${db}.trades`)) >= all.length)
  // Everything settled (candles recomputed) once both paths are acknowledged to the end.
  await waitCommittedToEnd(env, [config.topics.trades])
  await eventually(
    async () => (await streamInfo(nats, config)).state.messages === 0,
    async () => `${(await streamInfo(nats, config)).state.messages} left in the stream`,
    15_000
  )
  // Candles are recomputed from the deduplicated trades, so each trade counts once.
  assert.ok((await assertCandlesMatchTrades(clickhouse, db)) > 0)
  assert.equal(
    await count(
      clickhouse,
      `SELECT sum(trades) AS n FROM ${db}.candles FINAL WHERE source = 'trades' AND timeframe = '1m'`
    ),
    all.length
  )
})

test('worker pools over NATS: each pool reads only its types, beside a bridge of every type, on one work-queue stream', async (t) => {
  const env = await natsTestEnv(t)
  const { config } = env
  const tradesPool = await startNatsBridge(env, 'trades', { BRIDGE_POOL: 'trades' })
  env.onEnd(() => tradesPool.stop())
  const depthPool = await startNatsBridge(env, 'depth', { BRIDGE_POOL: 'depth' })
  env.onEnd(() => depthPool.stop())
  const nats = await natsClient(t, config)
  const messages = mixedMessages({ trades: 3_000, depth: 2_000, quotes: 500, candles: 40 }, 7)
  await publishToNats(nats, config, messages)
  const expected = { trades: 3_000, depth: 2_000, quotes: 500, candles: 40 }
  await eventually(
    async () => {
      const counts = await finalCounts(env.clickhouse, config.clickhouse.database)
      return counts.trades === 3_000 && counts.depth === 2_000 && counts.quotes === 500
    },
    async () => JSON.stringify(await finalCounts(env.clickhouse, config.clickhouse.database))
  )
  const received = (b: RunningBridge) => Object.fromEntries(b.worker.stats.receivedByType)
  assert.deepEqual(received(tradesPool), { trade: expected.trades, candle: expected.candles })
  assert.deepEqual(received(depthPool), { depth: expected.depth, quote: expected.quotes })
  // One durable consumer per type, filtered to the type's subjects.
  const trade = await consumerInfo(nats, config, 'trade')
  assert.equal(trade.config.filter_subject, `${config.nats.subjectPrefix}.trade.>`)

  // A bridge of every type joins the same stream: it shares each type's consumer with the pool of that type.
  const all = await startNatsBridge(env, 'all')
  env.onEnd(() => all.stop())
  await publishToNats(nats, config, uniqueTrades(4_000, 71, ['POOLAUSDT', 'POOLBUSDT', 'POOLCUSDT']))
  await eventually(
    async () => (await trades(env)()) === 7_000,
    async () => `${await trades(env)()} trade rows, expected 7,000`
  )
  assert.equal(Object.keys(received(depthPool)).sort().join(','), 'depth,quote')
  assert.equal(
    (all.worker.stats.receivedByType.get('trade') ?? 0) +
      (tradesPool.worker.stats.receivedByType.get('trade') ?? 0),
    7_000,
    'each trade went to one of the bridges reading trades'
  )
  await eventually(
    async () => (await streamInfo(nats, config)).state.messages === 0,
    async () => `${(await streamInfo(nats, config)).state.messages} left in the stream`,
    15_000
  )
})

test('NATS closing the connection for good (it now demands credentials: refused twice) ends the bridge; with the credentials in NATS_URL one starts', async (t) => {
  // A private nats-server, restarted on the same port requiring a password the bridge does not have.
  const binary = findNatsServer()
  assert.ok(binary, 'nats-server is installed (.ci/run installs it)')
  const port = await freePort()
  const store = mkdtempSync(join(tmpdir(), 'tb-nats-auth-'))
  const serve = (auth: string[]) =>
    spawn(binary, ['-js', '-sd', store, '-a', '127.0.0.1', '-p', String(port), ...auth], { stdio: 'ignore' })
  let server = serve([])
  t.after(() => {
    server.kill('SIGKILL')
    rmSync(store, { recursive: true, force: true })
  })
  const up = () =>
    eventually(
      async () => (await probeNats(`nats://127.0.0.1:${port}`)).jetstream,
      () => 'the private nats-server did not start',
      10_000
    )
  await up()
  const env = await testEnv(t, { NATS_URL: `nats://127.0.0.1:${port}` })
  const bridge = await startBridge(env.config, silentLog, { source: 'nats' })
  t.after(() => bridge.stop())

  server.kill('SIGKILL')
  await once(server, 'exit')
  server = serve(['--user', 'tb', '--pass', 'secret'])
  await up()
  const fatal = await Promise.race([bridge.fatal, sleep(20_000).then(() => null)])
  assert.ok(fatal, 'bridge.fatal settled (the CLI then stops the bridge and exits 2)')
  assert.equal((fatal as Error & { code?: string }).code, 'TB_NATS_UNAVAILABLE')
  assert.match(fatal.message, /NATS closed the bridge's connection for good: .*Authorization/)

  // With the credentials in NATS_URL (nats.js ignores them there; tickbridge passes them on), a bridge starts,
  // and its logs show them as ***.
  const { log, text } = capturedLog()
  const vars = { ...env.vars, NATS_URL: `nats://tb:secret@127.0.0.1:${port}`, INSTANCE_ID: `auth-${env.id}` }
  const authed = await startBridge(configWith(env, vars), log, { source: 'nats' })
  t.after(() => authed.stop())
  assert.match(text(), /nats:\/\/\*\*\*@127\.0\.0\.1/)
  assert.doesNotMatch(text(), /secret/)
})
