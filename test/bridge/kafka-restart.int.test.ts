import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { startBridge } from '../../src/bridge/run.ts'
import { loadConfig } from '../../src/config/load.ts'
import { createAdmin, createProducer } from '../../src/kafka/clients.ts'
import { endOffsets } from '../../src/kafka/lag.ts'
import { FeedPublisher } from '../../src/feed/publisher.ts'
import { finalCounts } from '../helpers/assertions.ts'
import { killKafka, localKafkaPid, restartKafka } from '../helpers/kafka-outage.ts'
import { uniqueTrades } from '../helpers/load.ts'
import { capturedLog } from '../helpers/logs.ts'
import { eventually, produce, silentLog, testEnv, waitCommittedToEnd } from '../helpers/stack.ts'
import { readTopic } from '../helpers/kafka-read.ts'
import type { TradeMessage } from '../../src/core/messages.ts'

// Before: the consume stream ended with "fetch failed 6 times" during the outage and was never rebuilt; the
// same bridge process stayed alive, answered /readyz 200, and landed 0 of the trades produced afterwards.
test('Kafka killed -9 for 15 s and restarted: the same bridge reconnects, is not ready meanwhile, and lands every trade once', async (t) => {
  const env = await testEnv(t)
  const { config, clickhouse } = env
  const kafkaPid = localKafkaPid(t, config)
  if (kafkaPid === null) return
  const { log, text: logText } = capturedLog()
  const bridge = await startBridge(
    loadConfig({ ...process.env, ...env.vars, METRICS_PORT: '0' }, '/nonexistent/.env'),
    log
  )
  t.after(async () => {
    await restartKafka(config) // whatever happened, leave a broker for the next test
    await bridge.stop()
  })
  const toMessages = (trades: TradeMessage[]) =>
    trades.map((m) => ({
      topic: config.topics.trades,
      key: `${m.exchange}:${m.symbol}`,
      value: JSON.stringify(m)
    }))
  const trades = uniqueTrades(20_000, 11)
  const rows = async () => (await finalCounts(clickhouse, config.clickhouse.database)).trades ?? 0

  await produce(config, toMessages(trades.slice(0, 10_000)))
  await eventually(
    async () => (await rows()) === 10_000,
    async () => `${await rows()} of 10000 rows before the outage`
  )
  const readyz = () => fetch(`${bridge.telemetry.metricsUrl}/readyz`).then((r) => r.status)
  assert.equal(await readyz(), 200, 'ready before the outage')

  await killKafka(kafkaPid)
  let notReadySeen = false
  const outageEnds = Date.now() + 15_000
  while (Date.now() < outageEnds) {
    if ((await readyz()) === 503) notReadySeen = true
    await sleep(500)
  }
  assert.ok(notReadySeen, `/readyz answered 503 while Kafka was away; bridge log:\n${logText()}`)
  await restartKafka(config)
  const restartedAt = Date.now()

  const invalid = Array.from({ length: 100 }, (_, i) => ({
    topic: config.topics.trades,
    key: 'bad:KEY',
    value: `{"v":1,"type":"trade","n":${i}}`
  }))
  await produce(config, [...toMessages(trades.slice(10_000)), ...invalid])
  await eventually(
    async () => (await rows()) === 20_000,
    async () => `${await rows()} of 20000 rows after the restart; source ${bridge.source.state}`,
    90_000
  )
  t.diagnostic(
    `all 20,000 rows ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after Kafka answered again`
  )
  await waitCommittedToEnd(env, [config.topics.trades])
  assert.equal(await rows(), 20_000, 'every trade once')
  const admin = createAdmin(config.kafka)
  const letters = [...(await endOffsets(admin, [config.topics.dlq])).values()].reduce((a, b) => a + b, 0n)
  await admin.close()
  assert.equal(letters, 100n, 'the dead-letter producer writes again after the restart')
  assert.ok(bridge.source.reconnects >= 1, 'the consumer was rebuilt')
  await eventually(
    async () => (await readyz()) === 200,
    () => 'ready again after the restart'
  )
  assert.match(logText(), /Kafka consumer lost; rebuilding it/)
  assert.match(logText(), /Kafka consumer back: rejoined the group/)
})

test('a feed producing through a Kafka kill -9 and restart delivers every message once, in order per symbol', async (t) => {
  const env = await testEnv(t)
  const { config } = env
  const kafkaPid = localKafkaPid(t, config)
  if (kafkaPid === null) return
  const producer = createProducer(config.kafka, 'test-feed-outage')
  const publisher = new FeedPublisher(producer, config.topics, 'test-feed', silentLog)
  t.after(async () => {
    await restartKafka(config)
    publisher.close()
    await producer.close().catch(() => undefined)
  })
  const trades = uniqueTrades(6_000, 21)
  for (const trade of trades.slice(0, 2_000)) publisher.message(trade)
  await publisher.flush(30_000)
  await killKafka(kafkaPid)
  for (const trade of trades.slice(2_000, 4_000)) publisher.message(trade) // queued while Kafka is away
  await sleep(10_000)
  await restartKafka(config)
  for (const trade of trades.slice(4_000)) publisher.message(trade)
  assert.equal(await publisher.flush(90_000), 0, 'nothing left unsent')

  const read = await readTopic(config, config.topics.trades, trades.length, 60_000)
  const ids = (key: string, list: { key?: string; id: string }[]) =>
    list.filter((m) => m.key === key).map((m) => m.id)
  const got = read.map((m) => ({ key: m.key, id: (JSON.parse(m.value) as TradeMessage).id }))
  const sent = trades.map((m) => ({ key: `${m.exchange}:${m.symbol}`, id: m.id }))
  for (const key of new Set(sent.map((m) => m.key)))
    assert.deepEqual(ids(key, got), ids(key, sent), `${key}: all, once, in order`)
  assert.equal(read.length, trades.length)
})
