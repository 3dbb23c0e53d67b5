import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import type { TradeMessage } from '../../src/core/messages.ts'
import type { Config } from '../../src/config/types.ts'
import { createAdmin, createProducer } from '../../src/kafka/clients.ts'
import { describeGroupAssignment } from '../../src/kafka/group.ts'
import { groupLag } from '../../src/kafka/lag.ts'
import { isAlive } from '../../src/stack/processes.ts'
import {
  clusterNodeReady,
  kafkaClusterNodes,
  kafkaClusterPids,
  startKafkaCluster
} from '../../src/stack/kafka-cluster.ts'
import { finalCounts } from '../helpers/assertions.ts'
import { uniqueTrades } from '../helpers/load.ts'
import { killAll, spawnBridge } from '../helpers/processes.ts'
import { count, eventually, testEnv, waitCommittedToEnd } from '../helpers/stack.ts'

// Cluster: the local 3-broker Kafka of `tickbridge stack up --cluster` (RF 3, min.insync.replicas=2).

/**
 * Produces `trades` at about `perSecond` with one idempotent producer (acks=all); a slice the cluster refuses
 * while a leader moves is sent again until it is taken (a retried slice may land twice in Kafka: ClickHouse's
 * FINAL folds such copies, which is what the test checks). Returns how many sends failed and were repeated.
 */
async function streamThroughFailover(
  config: Config,
  trades: TradeMessage[],
  perSecond: number
): Promise<number> {
  const producer = createProducer(config.kafka, 'tickbridge-cluster-test')
  const slice = Math.max(1, Math.round(perSecond / 10))
  let retried = 0
  try {
    for (let i = 0; i < trades.length; i += slice) {
      const started = Date.now()
      const messages = trades.slice(i, i + slice).map((m) => ({
        topic: config.topics.trades,
        key: `${m.exchange}:${m.symbol}`,
        value: JSON.stringify(m)
      }))
      for (;;) {
        try {
          await producer.send({ messages })
          break
        } catch {
          retried++
          await sleep(250)
        }
      }
      await sleep(Math.max(0, 100 - (Date.now() - started)))
    }
  } finally {
    await producer.close()
  }
  return retried
}

test('the partition leader killed -9 mid-stream: no trade lost or doubled, the bridges carry on', async (t) => {
  const env = await testEnv(t, { TICKBRIDGE_CLUSTER: 'true' })
  const { config, clickhouse } = env
  const db = config.clickhouse.database
  assert.equal(config.kafka.brokers.length, 3, 'TICKBRIDGE_CLUSTER points the clients at the 3 brokers')
  const pids = kafkaClusterPids(config)
  assert.ok(
    pids.every((pid) => pid !== null),
    'the local cluster runs: `tickbridge stack up --cluster`'
  )

  const admin = createAdmin(config.kafka)
  const bridges = [1, 2].map((ordinal) => spawnBridge(env, ordinal))
  let victim: number | null = null
  t.after(async () => {
    await killAll(bridges)
    await admin.close()
    // The killed broker comes back on its own data, and the cluster is whole again for the next test.
    if (victim !== null) await startKafkaCluster(config, () => undefined, victim)
  })

  const topic = (await admin.metadata({ topics: [config.topics.trades], forceUpdate: true })).topics.get(
    config.topics.trades
  )
  assert.ok(
    topic && topic.partitions.every((p) => p.replicas.length === 3 && p.isr.length === 3),
    'RF 3, all in sync'
  )

  // Both bridges in the group with their partitions (4 topics x 6) before the stream starts. Two JVM brokers
  // of three and two bridges starting on a busy CI machine have taken close to a minute: 120 s, and a failure
  // says what the group looked like last.
  let seen = 'no answer from the group coordinator'
  await eventually(
    async () => {
      const group = await describeGroupAssignment(admin, config.bridge.groupId)
      seen = `${group.members.length} member(s) holding ${group.members.map((m) => m.partitions.length).join(', ') || 'no'} partition(s)`
      return group.members.length === 2 && group.members.every((m) => m.partitions.length === 12)
    },
    () => `the two bridges did not both join the group (last seen: ${seen})`,
    120_000
  )
  const trades = uniqueTrades(60_000, 14)
  const streaming = streamThroughFailover(config, trades, 4_000)
  await eventually(
    async () => (await count(clickhouse, `SELECT count() AS n FROM ${db}.trades`)) > 5_000,
    () => 'no rows yet',
    60_000
  )

  // The leader of a partition the trades go to (6 symbols: not every partition has a key), and every
  // partition with data it leads: kill -9 its broker.
  const lagBefore = await groupLag(admin, config.bridge.groupId, [config.topics.trades])
  const fed = lagBefore.filter((p) => p.end > 0n).map((p) => p.partition)
  victim = topic.partitions[fed[0] ?? 0]?.leader ?? 1
  const led = fed.filter((i) => topic.partitions[i]?.leader === victim)
  const before = new Map(lagBefore.map((p) => [p.partition, p.committed]))
  const victimPid = pids[victim - 1] as number
  process.kill(victimPid, 'SIGKILL')
  const killedAt = Date.now()
  while (isAlive(victimPid)) await sleep(20)

  // Failover: until the group's commits move again on the partitions the dead broker led.
  await eventually(
    async () => {
      const lag = await groupLag(admin, config.bridge.groupId, [config.topics.trades])
      return led.every((i) => (lag.find((p) => p.partition === i)?.committed ?? -1n) > (before.get(i) ?? -1n))
    },
    async () =>
      `partitions ${led.join(',')} of the killed broker ${victim} made no progress: ${JSON.stringify(
        (await groupLag(admin, config.bridge.groupId, [config.topics.trades])).map((p) => [
          p.partition,
          String(p.committed),
          String(p.end)
        ])
      )}\n${bridges.map((b, i) => `--- bridge ${i + 1}:\n${b.output().split('\n').slice(-15).join('\n')}`).join('\n')}`,
    90_000
  )
  const failoverMs = Date.now() - killedAt
  const retried = await streaming
  t.diagnostic(
    `broker ${victim} killed (led partitions ${led.join(',')}): its partitions consumed and committed again after ${failoverMs} ms; ${retried} producer sends repeated`
  )

  await waitCommittedToEnd(env, [config.topics.trades], 120_000)
  const counts = await finalCounts(clickhouse, db)
  assert.equal(counts.trades, trades.length, 'every trade exactly once after FINAL')
  assert.equal(
    await count(clickhouse, `SELECT uniqExact(symbol, id) AS n FROM ${db}.trades FINAL`),
    trades.length,
    'no trade twice'
  )
  for (const bridge of bridges)
    assert.equal(bridge.child.exitCode, null, `bridge carried on:\n${bridge.output().slice(-2000)}`)

  // The broker restarts on its data and rejoins.
  await startKafkaCluster(config, () => undefined, victim)
  const node = kafkaClusterNodes(config)[victim - 1]
  assert.ok(node && (await clusterNodeReady(config, node)))
  victim = null
})
