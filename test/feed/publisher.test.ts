/**
 * The feed publisher's queue, spool and retry logic, driven through a fake producer (no Kafka): outages of a
 * chosen length, refusals for good and oversized records on demand. The same logic against a real broker is
 * in publisher-kafka.int.test.ts.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { DeadLetterEnvelope } from '../../src/core/dead-letter.ts'
import type { DepthMessage, TradeMessage } from '../../src/core/messages.ts'
import type { TopicsConfig } from '../../src/config/types.ts'
import { FeedPublisher, type PublisherOptions } from '../../src/feed/publisher.ts'
import { DiskSpool } from '../../src/feed/spool.ts'
import { TradeGenerator } from '../../src/sim/market.ts'
import { eventually, Gate, silentLog } from '../bridge/fakes.ts'
import { brokerError, FakeProducer, kafkaAway } from './fakes.ts'

const topics: TopicsConfig = {
  trades: 'market.trades',
  depth: 'market.depth',
  quotes: 'market.quotes',
  candles: 'market.candles',
  dlq: 'market.dlq',
  partitions: 3
}

function trades(n: number, seed = 1): TradeMessage[] {
  const generator = new TradeGenerator({
    exchange: 'wallex',
    symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'],
    seed
  })
  return Array.from({ length: n }, (_, i) => generator.next(1_700_000_000_000 + i).message)
}

function publisher(t: TestContext, producer: FakeProducer, options: PublisherOptions = {}): FeedPublisher {
  const built = new FeedPublisher(producer, topics, 'test-feed', silentLog, options)
  t.after(() => built.close()) // stops its timers; a no-op when the test closed it already
  return built
}

function spoolDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'tb-publisher-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}
const openSpool = (dir: string) => DiskSpool.open(dir, { segmentMessages: 500, maxBytes: 100_000_000 })
const segmentsIn = (dir: string) => readdirSync(dir).filter((file) => file.endsWith('.ndjson'))

/** The trade ids a producer delivered, in the order Kafka acknowledged them. */
const deliveredIds = (producer: FakeProducer) =>
  producer.on(topics.trades).map((message) => (JSON.parse(message.value) as TradeMessage).id + message.key)
const ids = (list: TradeMessage[]) => list.map((trade) => trade.id + `${trade.exchange}:${trade.symbol}`)

test('one send in flight: messages arriving meanwhile wait, and a failed batch goes back in front, so order holds', async (t) => {
  const producer = new FakeProducer(async (_, attempt) => {
    await sleep(30) // longer than the publisher's linger: messages arrive and their timer fires meanwhile
    if (attempt === 2) throw kafkaAway() // 3,000 messages need two sends at least: the second fails
  })
  const feed = publisher(t, producer)
  const sent = trades(3_000)
  for (let i = 0; i < sent.length; i += 100) {
    for (const trade of sent.slice(i, i + 100)) feed.message(trade)
    await sleep(3)
  }
  assert.equal(await feed.flush(10_000), 0)
  assert.equal(producer.maxInFlight, 1, 'never two sends at once')
  assert.equal(feed.errorCount, 1)
  assert.deepEqual(deliveredIds(producer), ids(sent), 'every trade once, in the order it arrived')
  for (const message of producer.delivered) {
    const trade = JSON.parse(message.value) as TradeMessage
    assert.equal(message.key, `wallex:${trade.symbol}`, 'keyed exchange:symbol')
  }
})

test('a steady stream goes in one produce request per linger, not one whenever the last send returned', async (t) => {
  const producer = new FakeProducer(async () => {
    await sleep(2) // a quick broker: the send returns long before the next linger is over
  })
  const feed = publisher(t, producer)
  const sent = trades(600)
  const started = Date.now()
  for (const trade of sent) {
    feed.message(trade)
    await sleep(1) // ~1 message per millisecond, for ~0.6 s or more
  }
  assert.equal(await feed.flush(10_000), 0)
  const lingers = (Date.now() - started) / 20
  assert.ok(
    producer.attempts.length <= lingers + 2,
    `${producer.attempts.length} sends in ${Math.round(lingers * 20)} ms with a 20 ms linger`
  )
  assert.deepEqual(deliveredIds(producer), ids(sent))
})

test('a transient error is retried after a pause, with the same batch, until Kafka takes it', async (t) => {
  const producer = new FakeProducer((_, attempt) => {
    if (attempt === 1) throw kafkaAway()
    if (attempt === 2) throw brokerError('NOT_LEADER_OR_FOLLOWER')
  })
  const fatal: Error[] = []
  const feed = publisher(t, producer, { onFatal: (error) => fatal.push(error) })
  const sent = trades(10)
  for (const trade of sent) feed.message(trade)
  assert.equal(await feed.flush(10_000), 0)

  assert.equal(producer.attempts.length, 3)
  assert.deepEqual(producer.attempts[1]!.messages, producer.attempts[0]!.messages, 'the same batch again')
  assert.deepEqual(producer.attempts[2]!.messages, producer.attempts[0]!.messages)
  for (const i of [1, 2]) {
    const pause = producer.attempts[i]!.at - producer.attempts[i - 1]!.at
    assert.ok(pause >= 450, `retry ${i} came ${pause} ms after the failure: it must back off`)
  }
  assert.equal(feed.errorCount, 2)
  assert.deepEqual(fatal, [], 'a transient error is not fatal')
  assert.deepEqual(deliveredIds(producer), ids(sent))
})

test('Kafka away: memory stays bounded, the rest goes to disk, and it all comes back in order once Kafka returns', async (t) => {
  const dir = spoolDir(t)
  let away = true
  const producer = new FakeProducer(() => {
    if (away) throw kafkaAway()
  })
  const spool = openSpool(dir)
  const feed = publisher(t, producer, { spool, memoryMax: 1_000 })
  const sent = trades(5_000)
  for (const trade of sent.slice(0, 2_500)) feed.message(trade)
  await eventually(
    () => producer.attempts.length >= 2,
    () => 'a retry'
  )
  for (const trade of sent.slice(2_500)) feed.message(trade) // the exchange does not stop meanwhile
  await sleep(50)
  assert.ok(feed.queued <= 1_000, `${feed.queued} messages in memory`)
  assert.equal(feed.queued, 1_000, 'the memory queue is full')
  assert.equal(feed.spooled, 4_000, 'the rest is on disk (or about to be written there)')
  assert.ok(segmentsIn(dir).length >= 7, `${segmentsIn(dir).length} segments on disk`)
  assert.deepEqual(producer.delivered, [])

  away = false
  assert.equal(await feed.flush(20_000), 0, 'everything was produced once Kafka came back')
  assert.deepEqual(deliveredIds(producer), ids(sent), 'no message lost, none twice, in order')
  assert.deepEqual(
    segmentsIn(dir),
    [],
    'segments are deleted once Kafka acknowledged what was read from them'
  )
  assert.equal(feed.droppedCount, 0)
  assert.equal(spool.bytes, 0)
})

test('Kafka refuses the feed for good: onFatal is told once, nothing more is sent, and the queue is kept', async (t) => {
  const refusal = brokerError('TOPIC_AUTHORIZATION_FAILED')
  const producer = new FakeProducer(() => {
    throw refusal
  })
  const fatal: Error[] = []
  const dir = spoolDir(t)
  const feed = publisher(t, producer, { spool: openSpool(dir), onFatal: (error) => fatal.push(error) })
  const sent = trades(20)
  for (const trade of sent.slice(0, 10)) feed.message(trade)
  await eventually(
    () => fatal.length > 0,
    () => 'onFatal'
  )
  for (const trade of sent.slice(10)) feed.message(trade)
  assert.equal(await feed.flush(700), 20, 'flush gives up: nothing can be sent')
  assert.equal(producer.attempts.length, 1, 'no retry: retrying cannot help')
  assert.equal(fatal.length, 1, 'told once')
  assert.equal(fatal[0], refusal, 'the error itself')

  // Stopping keeps the queue on disk, in order, for a run that Kafka accepts.
  assert.equal(feed.close(), 20)
  const next = new FakeProducer()
  assert.equal(await publisher(t, next, { spool: openSpool(dir) }).flush(5_000), 0)
  assert.deepEqual(deliveredIds(next), ids(sent))
})

test('a message too large for its topic is dead-lettered (cut to fit, in its place) and the feed goes on', async (t) => {
  const depthLimit = 64 * 1024
  const producer = new FakeProducer((messages) => {
    if (messages.some((m) => m.topic === topics.depth && Buffer.byteLength(m.value) > depthLimit))
      throw brokerError('MESSAGE_TOO_LARGE')
  })
  const feed = publisher(t, producer)
  const sent = trades(3_000)
  const levels = Array.from({ length: 10_000 }, (_, i): [string, string] => [`${50_000 + i}.5`, '1.25'])
  const depth: DepthMessage = {
    v: 1,
    type: 'depth',
    exchange: 'wallex',
    symbol: 'BTCUSDT',
    ts: 1_700_000_000_000,
    recv_ts: 1_700_000_000_100,
    bids: levels,
    asks: levels
  }
  for (const trade of sent.slice(0, 1_500)) feed.message(trade)
  feed.message(depth)
  for (const trade of sent.slice(1_500)) feed.message(trade)
  assert.equal(await feed.flush(10_000), 0, 'the oversized message did not stall the feed')

  assert.deepEqual(deliveredIds(producer), ids(sent), 'every trade, once, in order')
  assert.deepEqual(producer.on(topics.depth), [])
  const [letter, ...more] = producer.on(topics.dlq)
  assert.equal(more.length, 0)
  assert.equal(producer.delivered.indexOf(letter!), 1_500, 'the letter takes the message’s place')
  const body = JSON.parse(letter!.value) as DeadLetterEnvelope
  assert.equal(body.origin, 'feed')
  assert.equal(body.instance_id, 'test-feed')
  assert.equal(body.source_topic, topics.depth)
  assert.equal(body.key, 'wallex:BTCUSDT')
  assert.match(body.reason, /^too large for market\.depth: .*MESSAGE_TOO_LARGE/)
  assert.equal(body.truncated, true)
  assert.equal(body.value_bytes, Buffer.byteLength(JSON.stringify(depth)))
  assert.ok(Buffer.byteLength(letter!.value) <= 256 * 1024, 'the letter itself fits')
  assert.equal(feed.rejectedCount, 1)
})

test('a frame that could not be mapped goes to the dead-letter topic with its reason', async (t) => {
  const producer = new FakeProducer()
  const feed = publisher(t, producer)
  feed.rejected('{"not":"a trade"}', 'unknown channel', 'wallex')
  assert.equal(await feed.flush(5_000), 0)
  const [letter] = producer.on(topics.dlq)
  const body = JSON.parse(letter!.value) as DeadLetterEnvelope
  assert.equal(letter!.key, undefined)
  assert.equal(body.value, '{"not":"a trade"}')
  assert.equal(body.reason, 'unknown channel')
  assert.equal(body.exchange, 'wallex')
  assert.equal(body.truncated, false)
  assert.equal(feed.rejectedCount, 1)
})

test('flush sends what lingers and waits for it; a flush with a timeout reports what Kafka has not taken', async (t) => {
  const producer = new FakeProducer(() => sleep(20))
  const feed = publisher(t, producer)
  const sent = trades(5)
  for (const trade of sent) feed.message(trade)
  assert.equal(await feed.flush(), 0)
  assert.deepEqual(deliveredIds(producer), ids(sent), 'flushed, not left waiting for a larger batch')

  const hung = new Gate()
  t.after(() => hung.open())
  const stuck = new FakeProducer(() => hung.opened)
  const stalled = publisher(t, stuck)
  for (const trade of sent) stalled.message(trade)
  const started = Date.now()
  assert.equal(await stalled.flush(300), 5)
  assert.ok(Date.now() - started < 2_000, 'gave up at its timeout')
  assert.equal(stalled.close(), 5, 'without a spool, close says how many are given up')
  stalled.message(sent[0]!)
  assert.equal(stuck.attempts.length, 1, 'nothing is sent after close')
})

test('stopping while Kafka is away keeps every unsent message on disk, and the next run produces them first, in order', async (t) => {
  const dir = spoolDir(t)
  const down = new FakeProducer(() => {
    throw kafkaAway()
  })
  const first = publisher(t, down, { spool: openSpool(dir), memoryMax: 300 })
  const sent = trades(1_000)
  for (const trade of sent.slice(0, 600)) first.message(trade)
  await eventually(
    () => first.errorCount >= 1,
    () => 'a failed send'
  )
  for (const trade of sent.slice(600, 900)) first.message(trade)
  assert.equal(await first.flush(200), 900)
  assert.equal(first.close(), 900, 'the send that failed, the memory queue and the overflow')
  assert.deepEqual(down.delivered, [])

  const up = new FakeProducer()
  const next = publisher(t, up, { spool: openSpool(dir), memoryMax: 300 })
  for (const trade of sent.slice(900)) next.message(trade)
  assert.equal(await next.flush(10_000), 0)
  assert.deepEqual(deliveredIds(up), ids(sent), 'what the last run kept, then the new messages, once each')
  assert.deepEqual(segmentsIn(dir), [])
})
