import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createAdmin } from '../../src/kafka/clients.ts'
import { describeGroupAssignment } from '../../src/kafka/group.ts'
import { assertCandlesMatchTrades, finalCounts } from '../helpers/assertions.ts'
import { streamTrades, uniqueTrades } from '../helpers/load.ts'
import { killAll, spawnBridge } from '../helpers/processes.ts'
import { eventually, testEnv, waitCommittedToEnd } from '../helpers/stack.ts'

test('kill -9 one of 3 bridges mid-stream: its partitions move to the survivors, nothing lost or doubled', async (t) => {
  const env = await testEnv(t)
  const { config, clickhouse } = env
  const admin = createAdmin(config.kafka)
  const bridges = [1, 2, 3].map((ordinal) => spawnBridge(env, ordinal))
  t.after(async () => {
    await killAll(bridges)
    await admin.close()
  })
  const group = () => describeGroupAssignment(admin, config.bridge.groupId)
  const owners = async () => {
    const g = await group()
    return `${g.state}: ${g.members.map((m) => `${m.instanceId}=${m.partitions.length}`).join(' ')}`
  }
  // On a failure, what the bridges logged about the group explains it (joins, rebalances, errors).
  const groupLog = () =>
    bridges
      .map((b, i) => {
        const lines = b
          .output()
          .split('\n')
          .filter((l) => /group|partition|rebalanc|error|warn|join/i.test(l))
        return `--- bridge ${i + 1}:\n${lines.slice(-25).join('\n')}`
      })
      .join('\n')
  await eventually(
    async () => {
      const g = await group()
      return g.members.length === 3 && g.members.every((m) => m.partitions.length === 8)
    },
    owners,
    60_000
  )

  const trades = uniqueTrades(60_000, 5)
  const streaming = streamTrades(config, trades, 10_000)
  await eventually(
    async () => (await finalCounts(clickhouse, config.clickhouse.database)).trades! > 5_000,
    () => 'no rows yet'
  )
  const victim = bridges[1]!
  victim.child.kill('SIGKILL')
  const killedAt = Date.now()
  // The survivors own all 24 partitions (4 topics x 6) once the dead member's session has expired.
  await eventually(
    async () => {
      const g = await group()
      return g.members.length === 2 && g.members.reduce((sum, m) => sum + m.partitions.length, 0) === 24
    },
    async () => `${await owners()}\n${groupLog()}`,
    30_000
  )
  const reassignedMs = Date.now() - killedAt
  t.diagnostic(
    `partitions reassigned ${reassignedMs} ms after kill -9 (session timeout ${config.kafka.sessionTimeoutMs} ms)`
  )

  await streaming
  await waitCommittedToEnd(env, [config.topics.trades])
  const counts = await finalCounts(clickhouse, config.clickhouse.database)
  assert.equal(counts.trades, trades.length, 'every trade exactly once after FINAL')
  const compared = await assertCandlesMatchTrades(clickhouse, config.clickhouse.database)
  assert.ok(compared > 0)
  assert.equal(victim.child.signalCode, 'SIGKILL')
  for (const survivor of [bridges[0]!, bridges[2]!])
    assert.equal(survivor.child.exitCode, null, 'survivors still running')
})
