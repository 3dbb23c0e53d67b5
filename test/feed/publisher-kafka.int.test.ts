import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import type { TradeMessage } from '../../src/core/messages.ts'
import type { DeadLetterEnvelope } from '../../src/core/dead-letter.ts'
import { setTopicMaxMessageBytes } from '../helpers/topic-config.ts'
import { createAdmin, createProducer } from '../../src/kafka/clients.ts'
import { endOffsets } from '../../src/kafka/lag.ts'
import { FeedPublisher } from '../../src/feed/publisher.ts'
import { DiskSpool } from '../../src/feed/spool.ts'
import { uniqueTrades } from '../helpers/load.ts'
import { readTopic, type ReadMessage } from '../helpers/kafka-read.ts'
import { freePort } from '../helpers/ports.ts'
import { silentLog, testEnv, type TestEnv } from '../helpers/stack.ts'

function spoolDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'tb-feed-spool-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}
const openSpool = (dir: string) => DiskSpool.open(dir, { segmentMessages: 500, maxBytes: 100_000_000 })
const segmentsIn = (dir: string) => readdirSync(dir).filter((file) => file.endsWith('.ndjson'))

async function deadBrokerPublisher(
  env: TestEnv,
  options: ConstructorParameters<typeof FeedPublisher>[4] = {}
) {
  const deadBroker = { ...env.config.kafka, brokers: [`127.0.0.1:${await freePort()}`] }
  const producer = createProducer(deadBroker, 'test-dead-broker')
  const publisher = new FeedPublisher(producer, env.config.topics, 'test-feed', silentLog, options)
  return { producer, publisher }
}

/** Every trade, once, and in the order sent within each key (= symbol: one partition). */
function assertAllInOrder(read: ReadMessage[], trades: TradeMessage[]): void {
  const byKey = new Map<string, string[]>()
  for (const m of read)
    byKey.set(m.key!, [...(byKey.get(m.key!) ?? []), (JSON.parse(m.value) as TradeMessage).id])
  const expected = new Map<string, string[]>()
  for (const trade of trades) {
    const key = `${trade.exchange}:${trade.symbol}`
    expected.set(key, [...(expected.get(key) ?? []), trade.id])
  }
  assert.deepEqual(byKey, expected)
}

test('a feed whose Kafka never answers still stops: the flush gives up after its timeout and says how many are unsent', async (t) => {
  const env = await testEnv(t)
  const { producer, publisher } = await deadBrokerPublisher(env)
  for (const trade of uniqueTrades(50, 1)) publisher.message(trade)
  const started = Date.now()
  const unsent = await publisher.flush(4_000)
  const took = Date.now() - started
  assert.equal(unsent, 50, 'nothing was produced, and nothing was dropped from the queue')
  assert.ok(took >= 3_900 && took < 10_000, `gave up after ${took} ms`)
  assert.equal(publisher.errorCount > 0, true, 'the failed sends were counted')
  publisher.close()
  await producer.close().catch(() => undefined)
})

test('Kafka away: memory stays bounded, the rest goes to disk, and the next run produces every message in order', async (t) => {
  const env = await testEnv(t)
  const dir = spoolDir(t)
  const trades = uniqueTrades(5_000, 2)
  const away = await deadBrokerPublisher(env, { spool: openSpool(dir), memoryMax: 1_000 })
  for (const trade of trades) away.publisher.message(trade)
  await away.publisher.flush(1_000)
  assert.ok(away.publisher.queued <= 1_000, `${away.publisher.queued} messages in memory`)
  assert.equal(away.publisher.queued + away.publisher.spooled, 5_000)
  assert.equal(away.publisher.close(), 5_000, 'close reports what it kept')
  await away.producer.close().catch(() => undefined)
  // 4,000 overflowed (8 segments of 500), and the 1,000 in memory were written in front of them at close.
  assert.equal(segmentsIn(dir).length, 9)

  const producer = createProducer(env.config.kafka, 'test-feed-next-run')
  const next = new FeedPublisher(producer, env.config.topics, 'test-feed', silentLog, {
    spool: openSpool(dir),
    memoryMax: 1_000
  })
  assert.equal(await next.flush(60_000), 0, 'everything spooled was produced')
  assert.deepEqual(segmentsIn(dir), [], 'and its segments deleted')
  next.close()
  await producer.close()
  assertAllInOrder(await readTopic(env.config, env.config.topics.trades, 5_000), trades)
})

test('a burst faster than Kafka takes it overflows to disk and comes back in order while the feed runs', async (t) => {
  const env = await testEnv(t)
  const dir = spoolDir(t)
  const trades = uniqueTrades(20_000, 3)
  const producer = createProducer(env.config.kafka, 'test-feed-burst')
  const publisher = new FeedPublisher(producer, env.config.topics, 'test-feed', silentLog, {
    spool: openSpool(dir),
    memoryMax: 1_000
  })
  for (const trade of trades) publisher.message(trade) // one synchronous burst: nothing can be sent meanwhile
  assert.ok(publisher.spooled >= 18_000, `${publisher.spooled} overflowed`)
  assert.equal(await publisher.flush(60_000), 0)
  assert.deepEqual(segmentsIn(dir), [], 'read-back segments are deleted once Kafka acknowledged them')
  assert.equal(publisher.droppedCount, 0)
  publisher.close()
  await producer.close()
  assertAllInOrder(await readTopic(env.config, env.config.topics.trades, 20_000), trades)
})

// Before: a message above the broker's limit made every send of its batch fail with MESSAGE_TOO_LARGE,
// retried forever: the feed stalled behind it (and spooled everything after it to disk).
test('a message too large for its topic is dead-lettered (cut to fit, marked) and the feed goes on', async (t) => {
  const env = await testEnv(t)
  const { config } = env
  const admin = createAdmin(config.kafka)
  t.after(() => admin.close())
  await setTopicMaxMessageBytes(admin, config.topics.depth, 64 * 1024)
  const producer = createProducer(config.kafka, 'test-oversized')
  const publisher = new FeedPublisher(producer, config.topics, 'test-feed', silentLog)
  t.after(() => producer.close())
  const trades = uniqueTrades(1_000, 4)
  const levels = Array.from({ length: 6_000 }, (_, i): [string, string] => [`${50_000 + i}.5`, '1.25'])
  trades.slice(0, 500).forEach((trade) => publisher.message(trade))
  publisher.message({
    v: 1,
    type: 'depth',
    exchange: 'wallex',
    symbol: 'BTCUSDT',
    ts: Date.now() - 1_000,
    recv_ts: Date.now() - 900,
    bids: levels,
    asks: levels
  })
  trades.slice(500).forEach((trade) => publisher.message(trade))
  assert.equal(await publisher.flush(60_000), 0, 'nothing left unsent')
  publisher.close()

  // The send that met MESSAGE_TOO_LARGE may have landed its other partitions' records: those come again
  // (duplicates the tables' identity absorbs). Every trade is there, in order of first appearance per symbol.
  const inTopic = [...(await endOffsets(admin, [config.topics.trades])).values()].reduce((a, b) => a + b, 0n)
  const read = await readTopic(config, config.topics.trades, Number(inTopic))
  const seen = new Set<string>()
  assertAllInOrder(
    read.filter((m) => !seen.has(m.value) && seen.add(m.value)),
    trades
  )
  // The letter is in the topic once flush() returned (acks=all); read it back (a fresh group can be slow to
  // join on a busy machine, hence the longer wait).
  const inDlq = [...(await endOffsets(admin, [config.topics.dlq])).values()].reduce((a, b) => a + b, 0n)
  assert.equal(inDlq, 1n, 'one dead letter in the DLQ topic')
  const [letter] = await readTopic(config, config.topics.dlq, 1, 90_000)
  const body = JSON.parse(letter!.value) as DeadLetterEnvelope
  assert.equal(body.origin, 'feed')
  assert.equal(body.source_topic, config.topics.depth)
  assert.equal(body.truncated, true)
  assert.ok(body.value_bytes > 64 * 1024)
  assert.match(body.reason, /too large .*MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE/)
  assert.equal(publisher.rejectedCount, 1)
})
