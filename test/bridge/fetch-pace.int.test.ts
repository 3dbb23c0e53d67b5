import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { consumerFetchesChannel } from '@platformatic/kafka'
import { KafkaSource } from '../../src/bridge/kafka-source.ts'
import { createAdmin, createConsumer, createProducer, type BufferConsumer } from '../../src/kafka/clients.ts'
import { testEnv, type TestEnv } from '../helpers/stack.ts'
import { eventually, silentLog } from './fakes.ts'

interface Watched {
  source: KafkaSource
  consumer: () => BufferConsumer | null
  received: number[]
}

/** A KafkaSource on the test's trades topic in a group of its own, counting when each message arrives. */
async function watchedSource(env: TestEnv, group: string, fetchIdleWaitMs: number): Promise<Watched> {
  let consumer: BufferConsumer | null = null
  const source = new KafkaSource({
    createConsumer: () => (consumer = createConsumer(env.config.kafka, { groupId: group, clientId: group })),
    topics: [env.config.topics.trades],
    log: silentLog,
    onFatal: (error) => assert.fail(error),
    fetchIdleWaitMs
  })
  const received: number[] = []
  await source.start(() => received.push(Date.now()))
  return { source, consumer: () => consumer, received }
}

test('an idle bridge long-polls Kafka: a few fetches a second instead of 50, and a new message still arrives at once', async (t) => {
  const env = await testEnv(t)
  const groups = [`${env.config.bridge.groupId}-pace`, `${env.config.bridge.groupId}-nopace`]
  const fetches = new Map<unknown, number>()
  const onFetch = {
    start: (context: { client?: unknown }) =>
      fetches.set(context.client, (fetches.get(context.client) ?? 0) + 1)
  }
  consumerFetchesChannel.subscribe(onFetch as never)
  const paced = await watchedSource(env, groups[0]!, 1_000)
  const unpaced = await watchedSource(env, groups[1]!, 0)
  t.after(async () => {
    consumerFetchesChannel.unsubscribe(onFetch as never)
    await Promise.all([paced.source.close(), unpaced.source.close()])
    const admin = createAdmin(env.config.kafka)
    await admin.deleteGroups({ groups }).catch(() => undefined)
    await admin.close()
  })
  await eventually(
    () => paced.source.assignmentSummary().length > 0 && unpaced.source.assignmentSummary().length > 0,
    () =>
      `assignments: ${paced.source.assignmentSummary().join(' ')} | ${unpaced.source.assignmentSummary().join(' ')}`,
    30_000
  )

  // Nothing to read for 2 s.
  await sleep(500)
  fetches.clear()
  await sleep(2_000)
  const idleFetches = fetches.get(paced.consumer()) ?? 0
  const busyFetches = fetches.get(unpaced.consumer()) ?? 0
  t.diagnostic(`fetches in 2 s of nothing to read: ${idleFetches} long-polling, ${busyFetches} at 20 ms`)
  assert.ok(busyFetches >= 40, `without the pace a fetch returns every 20 ms: ${busyFetches} in 2 s`)
  assert.ok(idleFetches <= 8, `long-polling (1 s): ${idleFetches} fetches in 2 s`)

  // A message produced while a 1 s long-poll is pending comes back at once, not when the poll times out.
  const producer = createProducer(env.config.kafka, `${groups[0]}-producer`)
  t.after(() => producer.close())
  await producer.send({ messages: [{ topic: env.config.topics.trades, key: 'warm', value: 'warm-up' }] })
  await eventually(
    () => paced.received.length === 1,
    () => `${paced.received.length} received`,
    5_000
  )
  await sleep(1_500) // idle again
  const polling = new Promise<void>((resolve) => {
    const once = {
      start: (context: { client?: unknown }) => {
        if (context.client !== paced.consumer()) return
        consumerFetchesChannel.unsubscribe(once as never)
        resolve()
      }
    }
    consumerFetchesChannel.subscribe(once as never)
  })
  await polling
  const sentAt = Date.now()
  await producer.send({
    messages: [{ topic: env.config.topics.trades, key: 'k', value: 'after a quiet spell' }]
  })
  await eventually(
    () => paced.received.length === 2,
    () => `${paced.received.length} received`,
    5_000
  )
  const tookMs = (paced.received[1] ?? 0) - sentAt
  t.diagnostic(`a message sent during a long-poll arrived after ${tookMs} ms`)
  assert.ok(tookMs < 500, `arrived ${tookMs} ms after it was sent (the long-poll waits up to 1,000 ms)`)
})
