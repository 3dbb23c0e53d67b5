import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { PoolsLagReport } from '../../src/cli/commands/lag.ts'
import type { PoolScaleReport } from '../../src/cli/commands/scale.ts'
import type { OpsSnapshot } from '../../src/ops/snapshot.ts'
import { createAdmin } from '../../src/kafka/clients.ts'
import { runCli } from '../helpers/cli.ts'
import { startTestHub } from '../helpers/hub.ts'
import { mixedMessages, toKafka } from '../helpers/market-data.ts'
import { eventually, produce, testEnv } from '../helpers/stack.ts'

test('scale trades=2 depth=1 runs two pools in groups of their own; status and lag show each pool', async (t) => {
  const env = await testEnv(t)
  const { config } = env
  const base = config.bridge.groupId
  const home = mkdtempSync(join(tmpdir(), 'tickbridge-pools-'))
  const { hub, instanceVars } = await startTestHub(t, env)
  // The shared stack by address, a hub of the test's own; pid files and logs in a home of the test's own.
  const vars = {
    ...env.vars,
    ...instanceVars,
    TICKBRIDGE_HOME: home,
    KAFKA_BROKERS: config.kafka.brokers.join(','),
    CLICKHOUSE_URL: config.clickhouse.url
  }
  t.after(async () => {
    await runCli(['scale', '0', '--timeout', '20'], vars)
    rmSync(home, { recursive: true, force: true })
    const admin = createAdmin(config.kafka)
    await admin.deleteGroups({ groups: [`${base}-trades`, `${base}-depth`] }).catch(() => undefined)
    await admin.close()
  })

  const scaled = await runCli(['scale', 'trades=2', 'depth=1', '--json', '--timeout', '90'], vars)
  assert.equal(scaled.code, 0, scaled.stderr)
  const { pools } = JSON.parse(scaled.stdout) as { pools: PoolScaleReport[] }
  assert.deepEqual(
    pools.map((p) => [p.pool, p.groupId, p.types.join(','), p.members.map((m) => m.instanceId)]),
    [
      [
        'trades',
        `${base}-trades`,
        'trade,candle',
        ['tickbridge-bridge-trades-1', 'tickbridge-bridge-trades-2']
      ],
      ['depth', `${base}-depth`, 'depth,quote', ['tickbridge-bridge-depth-1']]
    ]
  )
  // Balanced within each pool, over the pool's own topics only.
  const [trades, depth] = pools
  const count = (partitions: string[], topic: string) =>
    partitions.filter((p) => p.startsWith(`${topic}:`)).length
  for (const m of trades?.members ?? []) {
    assert.deepEqual(
      [config.topics.trades, config.topics.candles, config.topics.depth].map((topic) =>
        count(m.partitions, topic)
      ),
      [3, 3, 0]
    )
  }
  assert.deepEqual(
    [config.topics.depth, config.topics.quotes, config.topics.trades].map((topic) =>
      count(depth?.members[0]?.partitions ?? [], topic)
    ),
    [6, 6, 0]
  )

  await produce(
    config,
    toKafka(mixedMessages({ trades: 3_000, depth: 2_000, quotes: 500, candles: 100 }, 5), config.topics)
  )
  const lag = async () => {
    const result = await runCli(['lag', '--json'], vars)
    assert.equal(result.code, 0, result.stderr)
    return JSON.parse(result.stdout) as PoolsLagReport
  }
  await eventually(
    async () => {
      const report = await lag()
      return (
        report.groups.length === 2 &&
        report.groups.every((g) => g.partitions.every((p) => p.committed === p.end || p.end === 0))
      )
    },
    async () => JSON.stringify((await lag()).groups.map((g) => [g.groupId, g.totalLag])),
    90_000
  )
  // lag groups by pool: each pool's group, its topics only, partitions owned by its own bridges.
  const report = await lag()
  assert.equal(report.totalLag, 0)
  assert.deepEqual(
    report.groups.map((g) => [g.pool, g.groupId, [...new Set(g.partitions.map((p) => p.topic))].sort()]),
    [
      ['depth', `${base}-depth`, [config.topics.depth, config.topics.quotes].sort()],
      ['trades', `${base}-trades`, [config.topics.candles, config.topics.trades].sort()]
    ]
  )
  for (const g of report.groups)
    assert.ok(
      g.partitions.every((p) => p.owner?.startsWith(`tickbridge-bridge-${g.pool}-`)),
      JSON.stringify(g)
    )
  const lagText = await runCli(['lag'], vars)
  assert.match(
    lagText.stdout,
    new RegExp(`pool depth, group ${base}-depth: \\w+, 1 instance\\(s\\) own partitions`)
  )
  assert.match(
    lagText.stdout,
    new RegExp(`pool trades, group ${base}-trades: \\w+, 2 instance\\(s\\) own partitions`)
  )
  assert.match(lagText.stdout, /total lag 0 over 2 consumer groups/)

  // status: each bridge's pool, from its heartbeats.
  await eventually(
    async () => {
      const instances = (await (await fetch(`${hub.url}/api/instances`)).json()) as { state: string }[]
      return instances.filter((i) => i.state === 'alive').length === 3
    },
    () => 'three bridges alive at the hub',
    30_000
  )
  const status = await runCli(['status', '--json'], vars)
  assert.equal(status.code, 0, status.stderr)
  const snapshot = JSON.parse(status.stdout) as OpsSnapshot
  assert.deepEqual(
    snapshot.instances
      .map((i) => [i.instanceId, i.lastHeartbeat.pool?.name, i.lastHeartbeat.pool?.group])
      .sort(),
    [
      ['tickbridge-bridge-depth-1', 'depth', `${base}-depth`],
      ['tickbridge-bridge-trades-1', 'trades', `${base}-trades`],
      ['tickbridge-bridge-trades-2', 'trades', `${base}-trades`]
    ]
  )
  const statusText = (await runCli(['status'], vars)).stdout
  assert.match(statusText, /ROLE\s+POOL\s+INSTANCE\s+STATE/)
  assert.match(statusText, /bridge\s+trades\s+tickbridge-bridge-trades-2\s+alive/)
  assert.match(statusText, /bridge\s+depth\s+tickbridge-bridge-depth-1\s+alive/)
  assert.match(statusText, /lag \d+ \(depth \d+, trades \d+\)/)

  // `scale 1` is the rollback to one bridge of every type: the pools stop.
  const rollback = await runCli(['scale', '1', '--json', '--timeout', '90'], vars)
  assert.equal(rollback.code, 0, rollback.stderr)
  const after = (JSON.parse(rollback.stdout) as { pools: PoolScaleReport[] }).pools
  assert.deepEqual(
    after.map((p) => [p.pool, p.target, p.members.map((m) => m.instanceId)]),
    [
      ['all', 1, ['tickbridge-bridge-1']],
      ['depth', 0, []],
      ['trades', 0, []]
    ]
  )
})
