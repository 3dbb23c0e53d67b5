import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { consumerFetchesChannel } from '@platformatic/kafka'
import { KafkaSource } from '../../src/bridge/kafka-source.ts'
import type { BatchClock, SourceMessage } from '../../src/bridge/ports.ts'
import { createAdmin, createConsumer, createProducer, type BufferConsumer } from '../../src/kafka/clients.ts'
import { testEnv, type TestEnv } from '../helpers/stack.ts'
import { eventually, silentLog } from './fakes.ts'

interface Watched {
  source: KafkaSource
  consumer: () => BufferConsumer | null
  received: number[]
}

/** A KafkaSource on the test's trades topic in a group of its own, counting when each message arrives. */
async function watchedSource(
  env: TestEnv,
  group: string,
  fetchIdleWaitMs: number,
  batchClock?: BatchClock,
  onMessage?: (message: SourceMessage) => void
): Promise<Watched> {
  let consumer: BufferConsumer | null = null
  const source = new KafkaSource({
    createConsumer: () => (consumer = createConsumer(env.config.kafka, { groupId: group, clientId: group })),
    topics: [env.config.topics.trades],
    log: silentLog,
    onFatal: (error) => assert.fail(error),
    fetchIdleWaitMs,
    ...(batchClock ? { batchClock } : {})
  })
  const received: number[] = []
  await source.start((message) => {
    received.push(Date.now())
    onMessage?.(message)
  })
  return { source, consumer: () => consumer, received }
}

/**
 * The worker's batching, reduced to its clock: a batch opens at a message, is due `ageMs` later (a timer flushes
 * it then), or is flushed earlier by a fetch landing within its lead. Records each message's wait from its
 * send (the value holds the send time) to its batch's flush.
 */
class ClockedBatches implements BatchClock {
  readonly waits: number[] = []
  readonly #ageMs: number
  #sentAts: number[] = []
  #dueAt: number | null = null
  #timer: NodeJS.Timeout | null = null

  constructor(ageMs: number) {
    this.#ageMs = ageMs
  }

  add(message: SourceMessage): void {
    this.#sentAts.push(Number(message.value?.toString()))
    if (this.#dueAt !== null) return
    this.#dueAt = Date.now() + this.#ageMs
    this.#timer = setTimeout(() => this.#flush(), this.#ageMs)
  }

  nextDueAt(): number | null {
    return this.#dueAt
  }

  flushDueWithin(withinMs: number): void {
    if (this.#dueAt !== null && this.#dueAt <= Date.now() + withinMs) this.#flush()
  }

  #flush(): void {
    if (this.#timer) clearTimeout(this.#timer)
    const now = Date.now()
    for (const sentAt of this.#sentAts) this.waits.push(now - sentAt)
    this.#sentAts = []
    this.#dueAt = null
    this.#timer = null
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer)
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}

/** Counts the fetches each consumer starts (the client's diagnostics channel). */
function countFetches(t: { after: (fn: () => void) => void }): Map<unknown, number> {
  const fetches = new Map<unknown, number>()
  const onFetch = {
    start: (context: { client?: unknown }) =>
      fetches.set(context.client, (fetches.get(context.client) ?? 0) + 1)
  }
  consumerFetchesChannel.subscribe(onFetch as never)
  t.after(() => consumerFetchesChannel.unsubscribe(onFetch as never))
  return fetches
}

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
  const groups = [`${env.config.bridge.groupId}-aligned`, `${env.config.bridge.groupId}-unaligned`]
  const fetches = countFetches(t)
  const ageMs = 150
  const alignedBatches = new ClockedBatches(ageMs)
  const unalignedBatches = new ClockedBatches(ageMs)
  const aligned = await watchedSource(env, groups[0]!, 0, alignedBatches, (m) => alignedBatches.add(m))
  const unaligned = await watchedSource(env, groups[1]!, 0, undefined, (m) => unalignedBatches.add(m))
  const producer = createProducer(env.config.kafka, `${groups[0]}-producer`)
  t.after(async () => {
    alignedBatches.close()
    unalignedBatches.close()
    await Promise.all([aligned.source.close(), unaligned.source.close(), producer.close()])
    const admin = createAdmin(env.config.kafka)
    await admin.deleteGroups({ groups }).catch(() => undefined)
    await admin.close()
  })
  await eventually(
    () => aligned.source.assignmentSummary().length > 0 && unaligned.source.assignmentSummary().length > 0,
    () => 'assignments',
    30_000
  )
  await sleep(500)

  // A steady trickle (a message every ~10 ms: 64 KiB never fills) for 3 s; each value is its send time.
  fetches.clear()
  const until = Date.now() + 3_000
  let sent = 0
  while (Date.now() < until) {
    await producer.send({
      messages: [{ topic: env.config.topics.trades, key: `k${sent % 7}`, value: String(Date.now()) }]
    })
    sent++
    await sleep(10)
  }
  const flowFetches = {
    aligned: fetches.get(aligned.consumer()) ?? 0,
    unaligned: fetches.get(unaligned.consumer()) ?? 0
  }
  await eventually(
    () => alignedBatches.waits.length === sent && unalignedBatches.waits.length === sent,
    () => `${alignedBatches.waits.length} and ${unalignedBatches.waits.length} of ${sent} flushed`,
    5_000
  )
  const summary = (waits: number[]) =>
    `p50 ${percentile(waits, 50)} / p90 ${percentile(waits, 90)} / max ${Math.max(...waits)} ms`
  t.diagnostic(
    `${sent} messages in 3 s, batches of ${ageMs} ms: aligned ${flowFetches.aligned} fetches, waits ${summary(alignedBatches.waits)}; ` +
      `unaligned ${flowFetches.unaligned} fetches, waits ${summary(unalignedBatches.waits)}`
  )
  assert.ok(
    flowFetches.unaligned >= 90,
    `without alignment a fetch returns every 20 ms: ${flowFetches.unaligned} in 3 s`
  )
  assert.ok(
    flowFetches.aligned <= 60,
    `aligned: ~2 fetches per ${ageMs} ms batch, ${flowFetches.aligned} in 3 s`
  )
  // A fetch that landed after its batch's timer would leave its messages to the next batch: ~ageMs more.
  assert.ok(
    percentile(alignedBatches.waits, 90) <= percentile(unalignedBatches.waits, 90) + 40,
    `aligned waits ${summary(alignedBatches.waits)} against ${summary(unalignedBatches.waits)}`
  )
})
