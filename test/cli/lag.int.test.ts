import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBridge } from '../../src/bridge/run.ts'
import type { LagReport, PoolsLagReport } from '../../src/cli/commands/lag.ts'
import { runCli } from '../helpers/cli.ts'
import { tradeBatches } from '../helpers/trade-messages.ts'
import { produce, silentLog, testEnv, waitCommittedToEnd, type TestEnv } from '../helpers/stack.ts'

/** Kafka's own `kafka-consumer-groups --describe` rows: [group, topic, partition, current, end, lag, consumer, host, client]. */
async function kafkaToolRows(env: TestEnv): Promise<string[][]> {
  const result = await runCli([
    'kafka',
    'consumer-groups',
    '--describe',
    '--group',
    env.config.bridge.groupId
  ])
  assert.equal(result.code, 0, result.stderr)
  return result.stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((cols) => cols[0] === env.config.bridge.groupId)
}

async function tickbridgeLag(env: TestEnv): Promise<LagReport> {
  const result = await runCli(['lag', '--json'], env.vars)
  assert.equal(result.code, 0, result.stderr)
  // No worker pools: the one group is BRIDGE_GROUP_ID.
  const { groups } = JSON.parse(result.stdout) as PoolsLagReport
  assert.deepEqual(
    groups.map((g) => [g.pool, g.groupId]),
    [['all', env.config.bridge.groupId]]
  )
  return groups[0] as LagReport
}

function assertAgree(report: LagReport, toolRows: string[][]): void {
  assert.ok(toolRows.length > 0, 'the tool lists the group')
  for (const [, topic, partition, current, end, lag] of toolRows) {
    const mine = report.partitions.find((p) => p.topic === topic && p.partition === Number(partition))
    assert.ok(mine, `tickbridge lag lists ${topic}:${partition}`)
    assert.equal(String(mine.committed ?? '-'), current, `CURRENT-OFFSET of ${topic}:${partition}`)
    assert.equal(String(mine.end), end, `LOG-END-OFFSET of ${topic}:${partition}`)
    if (mine.committed !== null) assert.equal(String(mine.lag), lag, `LAG of ${topic}:${partition}`)
  }
}

test("tickbridge lag agrees with Kafka's consumer-group tool, with and without owners", async (t) => {
  const env = await testEnv(t)
  const { config } = env
  const trades = tradeBatches(config, 3)
  await produce(config, trades(2000))
  let bridge = await startBridge(config, silentLog)
  await waitCommittedToEnd(env, [config.topics.trades])
  await bridge.stop()
  await produce(config, trades(500))

  // Stopped group: committed offsets behind the end, nobody owns anything.
  const [stopped, toolStopped] = await Promise.all([tickbridgeLag(env), kafkaToolRows(env)])
  assertAgree(stopped, toolStopped)
  assert.equal(stopped.totalLag, 500)
  assert.equal(
    stopped.partitions.filter((p) => p.topic === config.topics.trades).reduce((n, p) => n + p.lag, 0),
    500
  )
  assert.ok(stopped.partitions.every((p) => p.owner === null))
  const table = await runCli(['lag'], env.vars)
  assert.match(table.stdout, /^TOPIC\s+PARTITION\s+COMMITTED\s+END\s+LAG\s+OWNER/)
  assert.match(table.stdout, /\nTOTAL\s+(-\s+){3}500\s+-\n/)
  assert.match(table.stdout, /total lag 500/)

  // A running bridge catches up and owns every partition; the tool names the same client.
  bridge = await startBridge(config, silentLog)
  t.after(() => bridge.stop())
  await waitCommittedToEnd(env, [config.topics.trades])
  const [running, toolRunning] = await Promise.all([tickbridgeLag(env), kafkaToolRows(env)])
  assertAgree(running, toolRunning)
  assert.equal(running.totalLag, 0)
  assert.ok(
    running.partitions.every((p) => p.owner === config.bridge.instanceId),
    JSON.stringify(running.partitions)
  )
  for (const cols of toolRunning)
    assert.equal(cols[8], config.bridge.instanceId, `CLIENT-ID in ${cols.join(' ')}`)
})

test('tickbridge lag --group names another group', async (t) => {
  const env = await testEnv(t)
  const report = await runCli(['lag', '--group', 'tb-test-nobody', '--json'], env.vars)
  assert.equal(report.code, 0, report.stderr)
  const parsed = JSON.parse(report.stdout) as LagReport
  assert.equal(parsed.groupId, 'tb-test-nobody')
  assert.equal(parsed.partitions.length, 4 * env.config.topics.partitions)
  assert.ok(parsed.partitions.every((p) => p.committed === null && p.owner === null))
})
