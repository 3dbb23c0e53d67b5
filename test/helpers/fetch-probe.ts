import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { consumerFetchesChannel } from '@platformatic/kafka'
import type { Batch } from '../../src/bridge/batch.ts'
import { BatchLanes, type Lane } from '../../src/bridge/batch-lanes.ts'
import { KafkaSource } from '../../src/bridge/kafka-source.ts'
import type { BatchClock, SourceMessage } from '../../src/bridge/ports.ts'
import { createAdmin, createConsumer, createProducer, type BufferConsumer } from '../../src/kafka/clients.ts'
import { BatchOffsets } from '../../src/core/offset-tracker.ts'
import { TableNames } from '../../src/core/rows.ts'
import type { TestEnv } from './stack.ts'
import { eventually, silentLog } from '../bridge/fakes.ts'

/** KafkaSources watched from the outside: the fetches they make and when their messages arrive (bridge/fetch-pace.ts). */

export interface Watched {
  source: KafkaSource
  consumer: () => BufferConsumer | null
  received: number[]
}

/** A KafkaSource on the test's trades topic in a group of its own, counting when each message arrives. */
export async function watchedSource(
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
 * The worker's batch clock (bridge/batch-lanes.ts, the real one) over one lane of messages whose values hold
 * their send time: a batch opens at a message and is due `ageMs` later, or is flushed earlier by a fetch
 * landing within its lead unless another fetch timed to it is still on its way (then it waits up to the grace).
 * Records each message's wait from its send to its batch's flush.
 */
class ClockedBatches implements BatchClock {
  readonly waits: number[] = []
  readonly #lanes: BatchLanes
  /** The send times of each open batch's messages. */
  readonly #sentAts = new Map<Batch, number[]>()
  /** The source's fetchLandingBefore, once the source exists. */
  landingBefore: (dueAt: number) => boolean = () => false

  constructor(ageMs: number) {
    this.#lanes = new BatchLanes({
      rules: { maxRows: Number.MAX_SAFE_INTEGER, maxAgeMs: ageMs, earlyRows: 0 },
      startBatch: () => new BatchOffsets(),
      onDue: (lane) => this.#flush(lane),
      fetchLandingBefore: (dueAt) => this.landingBefore(dueAt)
    })
  }

  add(message: SourceMessage): void {
    const sentAt = Number(message.value?.toString())
    if (Number.isNaN(sentAt)) return // a warm-up message: not measured
    const batch = this.#lanes.openBatch(this.#lanes.get(TableNames.trade))
    batch.addRow('{}', message)
    const sentAts = this.#sentAts.get(batch)
    if (sentAts) sentAts.push(sentAt)
    else this.#sentAts.set(batch, [sentAt])
  }

  nextDueAt(): number | null {
    return this.#lanes.nextDueAt()
  }

  flushDueWithin(withinMs: number): void {
    for (const lane of this.#lanes.dueWithin(withinMs)) this.#flush(lane)
  }

  #flush(lane: Lane): void {
    const batch = this.#lanes.take(lane)
    if (!batch) return
    const now = Date.now()
    for (const sentAt of this.#sentAts.get(batch) ?? []) this.waits.push(now - sentAt)
    this.#sentAts.delete(batch)
  }

  /** Stops the timers (what is still open is not measured). */
  close(): void {
    for (const lane of this.#lanes.all()) this.#lanes.take(lane)
  }
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}

/** Counts the fetches each consumer starts (the client's diagnostics channel). */
export function countFetches(t: { after: (fn: () => void) => void }): Map<unknown, number> {
  const fetches = new Map<unknown, number>()
  const onFetch = {
    start: (context: { client?: unknown }) =>
      fetches.set(context.client, (fetches.get(context.client) ?? 0) + 1)
  }
  consumerFetchesChannel.subscribe(onFetch as never)
  t.after(() => consumerFetchesChannel.unsubscribe(onFetch as never))
  return fetches
}

export interface AlignmentFigures {
  sent: number
  ageMs: number
  fetches: { aligned: number; unaligned: number }
  waits: { aligned: number[]; unaligned: number[] }
  /** One line of the figures, for diagnostics and failure messages. */
  line: string
}

/**
 * Two KafkaSources on the env's trades topic, one with fetches timed to 150 ms batches (a clock that stands in
 * for the worker's) and one fetching every 20 ms, read a steady trickle (a message every ~10 ms: 64 KiB never
 * fills) for 3 s; each value is its send time. Counts each one's fetches and each message's wait from its send
 * to its batch's flush.
 */
export async function alignedAgainstUnaligned(t: TestContext, env: TestEnv): Promise<AlignmentFigures> {
  const groups = [`${env.config.bridge.groupId}-aligned`, `${env.config.bridge.groupId}-unaligned`]
  const fetches = countFetches(t)
  const ageMs = 150
  const alignedBatches = new ClockedBatches(ageMs)
  const unalignedBatches = new ClockedBatches(ageMs)
  const aligned = await watchedSource(env, groups[0]!, 0, alignedBatches, (m) => alignedBatches.add(m))
  alignedBatches.landingBefore = (dueAt) => aligned.source.fetchLandingBefore(dueAt)
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
  // On a topic just made on a cluster the first sends can take a second or more (its replicas catching up), which
  // would thin the trickle: send unmeasured messages until three in a row are acknowledged within 100 ms.
  for (let fast = 0, until = Date.now() + 10_000; fast < 3 && Date.now() < until;) {
    const sentAt = Date.now()
    await producer.send({ messages: [{ topic: env.config.topics.trades, key: 'warm-up', value: 'warm-up' }] })
    fast = Date.now() - sentAt < 100 ? fast + 1 : 0
  }
  await sleep(500)

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
  const line =
    `${sent} messages in 3 s, batches of ${ageMs} ms: aligned ${flowFetches.aligned} fetches, waits ${summary(alignedBatches.waits)}; ` +
    `unaligned ${flowFetches.unaligned} fetches, waits ${summary(unalignedBatches.waits)}`
  t.diagnostic(line)
  return {
    sent,
    ageMs,
    fetches: flowFetches,
    waits: { aligned: alignedBatches.waits, unaligned: unalignedBatches.waits },
    line
  }
}
