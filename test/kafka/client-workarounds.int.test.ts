import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { KafkaConfig } from '../../src/config/types.ts'
import { createAdmin, createConsumer, createProducer, type BufferConsumer } from '../../src/kafka/clients.ts'
import { endOffsets } from '../../src/kafka/lag.ts'
import { readTopic } from '../helpers/kafka-read.ts'
import { eventually, explain, testEnv } from '../helpers/stack.ts'

/**
 * The two @platformatic/kafka 1.35 bugs that src/kafka/clients.ts works around, re-checked on the installed
 * client (2.12.1) against the real broker. See docs/decisions/kafka-client.md.
 */

test('idempotent producer: 200 overlapping send() calls of 1,000 messages land every message once, in order per key', async (t) => {
  // 1.35 read an idempotent batch's sequence numbers when it was built but advanced them only on the
  // response, so overlapping sends reused them: the broker dropped whole batches as retries of another
  // while their send() resolved, and refused the rest (OUT_OF_ORDER_SEQUENCE_NUMBER). Measured with 1.35.0
  // on this test: 67 of 200 sends resolved, 133 rejected, 1,000 of 200,000 messages landed
  // (platformatic/kafka#326). 2.x reserves a batch's sequence numbers when it is built (#310, 2.3.0);
  // this pins that behaviour, which overlapping sends on one producer rely on.
  const env = await testEnv(t)
  const topic = env.config.topics.trades
  const SENDS = 200
  const PER_SEND = 1_000
  const KEYS = 60
  const sentPerKey = new Map<string, number>()
  const batches = Array.from({ length: SENDS }, (_, send) =>
    Array.from({ length: PER_SEND }, (_, i) => {
      const key = `sim:SYM${(send * PER_SEND + i) % KEYS}`
      const seq = sentPerKey.get(key) ?? 0
      sentPerKey.set(key, seq + 1)
      return { topic, key, value: `${key}|${seq}|${send}|${'x'.repeat(140)}` }
    })
  )

  const producer = createProducer(env.config.kafka, `tb-test-overlap-${env.id}`)
  const startedAt = Date.now()
  const results = await Promise.allSettled(batches.map((messages) => producer.send({ messages })))
  t.diagnostic(`${SENDS} overlapping sends of ${PER_SEND} acknowledged in ${Date.now() - startedAt} ms`)
  await producer.close()
  const admin = createAdmin(env.config.kafka)
  const ends = await endOffsets(admin, [topic]).finally(() => admin.close())
  const landed = [...ends.values()].reduce((sum, end) => sum + end, 0n)
  const failed = results.filter((r) => r.status === 'rejected')
  const summary =
    `${SENDS - failed.length} of ${SENDS} sends resolved, ${landed} of ${SENDS * PER_SEND} messages ` +
    `in the topic (log-end offsets ${[...ends.values()].join(' ')})`
  t.diagnostic(summary)
  assert.equal(
    failed.length,
    0,
    `every send() resolves: ${summary}; first failure: ${failed[0] ? explain(failed[0].reason) : ''}`
  )
  assert.equal(landed, BigInt(SENDS * PER_SEND), `every message lands: ${summary}`)
  // A batch the broker took for a retry of another is acknowledged with that batch's offset.
  const acked = results.flatMap((r) => (r.status === 'fulfilled' ? (r.value.offsets ?? []) : []))
  const distinct = new Set(acked.map((o) => `${o.partition}:${o.offset}`))
  assert.equal(distinct.size, acked.length, 'no two batches acknowledged at the same offset')
  assert.ok(
    [...ends.values()].every((end) => end > 0n),
    'the keys spread over every partition'
  )

  // Read back: each key (one partition) holds exactly its messages 0..n-1, in the order they were sent.
  const read = await readTopic(env.config, topic, SENDS * PER_SEND, 40_000)
  read.sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset))
  const nextSeq = new Map<string, number>()
  const wrong: string[] = []
  for (const m of read) {
    const [key = '', seqText = ''] = m.value.split('|')
    const expected = nextSeq.get(key) ?? 0
    if (Number(seqText) !== expected && wrong.length < 5)
      wrong.push(`${key} expected #${expected}, found #${seqText} at ${m.partition}:${m.offset}`)
    nextSeq.set(key, Number(seqText) + 1)
  }
  assert.deepEqual(wrong, [], 'every key in send order, nothing missing or repeated')
  assert.deepEqual(nextSeq, sentPerKey, 'every key complete')
})

test('a commit refused for a stale generation does not make its member start another rebalance', async (t) => {
  // The 2.12.1 client still answers a commit refused for group reasons by calling joinGroup({}) and then
  // committing again. When the commit was sent with the old generation while the member's own rejoin was
  // under way (OffsetCommit waits behind JoinGroup on the coordinator connection), that extra JoinGroup
  // reaches a group that has just settled, the leader's join starts a new rebalance, the retried commit
  // is refused again, and so on: measured without the workaround, 4-5 extra rebalances in 12 s and the
  // group still rebalancing, the commit unsettled. createConsumer() refuses the commit path's join.
  const env = await testEnv(t)
  const { config } = env
  const topic = config.topics.trades
  const groupId = config.bridge.groupId
  const members: { consumer: BufferConsumer; close: () => Promise<void> }[] = []
  t.after(async () => {
    for (const m of members) await m.close()
  })
  const join = async (name: string, kafka: KafkaConfig): Promise<BufferConsumer> => {
    const consumer = createConsumer(kafka, { groupId, clientId: `tb-test-${name}-${env.id}` })
    consumer.on('error', () => undefined)
    // As the bridge's KafkaSource consumes: committed offsets, manual commits.
    const stream = await consumer.consume({
      topics: [topic],
      mode: 'committed',
      fallbackMode: 'earliest',
      autocommit: false
    })
    stream.on('error', () => undefined)
    members.push({
      consumer,
      close: async () => {
        await stream.close().catch(() => undefined)
        await consumer.close(true).catch(() => undefined)
      }
    })
    return consumer
  }
  // a learns of a rebalance within 0.5 s; b only at its next heartbeat, 3 s after the last join, so the
  // coordinator holds a's JoinGroup ~2 s waiting for b: the window in which a's commit goes stale.
  const a = await join('a', { ...config.kafka, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 })
  const b = await join('b', { ...config.kafka, sessionTimeoutMs: 9_000, heartbeatIntervalMs: 3_000 })
  const settled = (consumers: BufferConsumer[]) =>
    consumers.every((c) => c.generationId === a.generationId && (c.assignments?.length ?? 0) > 0)
  await eventually(
    async () => settled([a, b]),
    () => `a and b never shared a generation (a: ${a.generationId}, b: ${b.generationId})`,
    20_000
  )
  const before = a.generationId

  // c joins: a rejoins at once; 100 ms later it commits what it owns, with the generation it still has.
  let sentWith = -1
  const commit = new Promise<string>((resolve) => {
    a.once('consumer:group:rebalance', () => {
      setTimeout(() => {
        sentWith = a.generationId
        const offsets = (a.assignments ?? []).flatMap(({ partitions }) =>
          partitions.map((partition) => ({ topic, partition, offset: 0n, leaderEpoch: -1 }))
        )
        a.commit({ offsets }).then(
          () => resolve('committed'),
          (error: unknown) => resolve(`refused: ${explain(error)}`)
        )
      }, 100)
    })
  })
  const c = await join('c', config.kafka)
  const outcome = await Promise.race([
    commit,
    new Promise<string>((resolve) => {
      const pending = () =>
        `still pending after 15 s, generation ${before} -> ${a.generationId} ` +
        '(the member keeps rejoining from the commit path)'
      setTimeout(() => resolve(pending()), 15_000).unref()
    })
  ])
  t.diagnostic(`commit sent with generation ${sentWith}: ${outcome}`)
  assert.equal(sentWith, before, 'the commit was sent with the generation before c joined')
  assert.match(outcome, /^refused/, 'the stale commit fails (the bridge retries it once the group settles)')

  const admin = createAdmin(config.kafka)
  t.after(() => admin.close())
  const groupState = async () => (await admin.describeGroups({ groups: [groupId] })).get(groupId)?.state
  await eventually(
    async () => settled([a, b, c]) && (await groupState()) === 'Stable',
    async () =>
      `group ${await groupState()}, generations a=${a.generationId} b=${b.generationId} c=${c.generationId}`,
    20_000
  )
  // Longer than b's heartbeat interval: a further rebalance would have been noticed by every member.
  await sleep(4_000)
  assert.equal(await groupState(), 'Stable')
  assert.deepEqual(
    [a.generationId, b.generationId, c.generationId],
    [before + 1, before + 1, before + 1],
    `one rebalance (c joining), none from the refused commit; generation before: ${before}`
  )
})
