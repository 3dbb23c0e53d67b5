import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { consumerFetchesChannel } from '@platformatic/kafka'
import { createAdmin, createProducer } from '../../src/kafka/clients.ts'
import { alignedAgainstUnaligned, countFetches, percentile, watchedSource } from '../helpers/fetch-probe.ts'
import { testEnv } from '../helpers/stack.ts'
import { eventually } from './fakes.ts'

test('an idle bridge long-polls Kafka: a few fetches a second instead of 50, and a new message still arrives at once', async (t) => {
  const env = await testEnv(t)
  const groups = [`${env.config.bridge.groupId}-pace`, `${env.config.bridge.groupId}-nopace`]
  const fetches = countFetches(t)
  const paced = await watchedSource(env, groups[0]!, 1_000)
  const unpaced = await watchedSource(env, groups[1]!, 0)
  t.after(async () => {
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

test('fetches made while a batch is open wait for it: about two per batch instead of one every 20 ms, and each message still goes with its batch', async (t) => {
  const env = await testEnv(t)
  const { fetches, waits, ageMs, line } = await alignedAgainstUnaligned(t, env)
  assert.ok(fetches.unaligned >= 90, `without alignment a fetch returns every 20 ms: ${line}`)
  assert.ok(fetches.aligned <= 60, `aligned: ~2 fetches per ${ageMs} ms batch: ${line}`)
  // A fetch that landed after its batch's timer would leave its messages to the next batch: ~ageMs more.
  assert.ok(percentile(waits.aligned, 90) <= percentile(waits.unaligned, 90) + 40, line)
})
