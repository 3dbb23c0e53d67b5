import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createProducer } from '../../src/kafka/clients.ts'
import { FeedPublisher } from '../../src/feed/publisher.ts'
import { uniqueTrades } from '../helpers/load.ts'
import { freePort } from '../helpers/ports.ts'
import { silentLog, testEnv } from '../helpers/stack.ts'

test('a feed whose Kafka never answers still stops: the flush gives up after its timeout and says how many are unsent', async (t) => {
  const env = await testEnv(t)
  const deadBroker = { ...env.config.kafka, brokers: [`127.0.0.1:${await freePort()}`] }
  const producer = createProducer(deadBroker, 'test-dead-broker')
  const publisher = new FeedPublisher(producer, env.config.topics, 'test-feed', silentLog)
  for (const trade of uniqueTrades(50, 1)) publisher.message(trade)
  const started = Date.now()
  const unsent = await publisher.flush(2_000)
  const took = Date.now() - started
  assert.equal(unsent, 50, 'nothing was produced, and nothing was dropped from the queue')
  assert.ok(took >= 1_900 && took < 10_000, `gave up after ${took} ms`)
  assert.equal(publisher.errorCount > 0, true, 'the failed sends were counted')
  publisher.close()
  await producer.close().catch(() => undefined)
})
