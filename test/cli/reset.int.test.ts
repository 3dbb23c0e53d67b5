import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { startBridge } from '../../src/bridge/run.ts'
import { MARKET_TABLES } from '../../src/core/market-query.ts'
import { createAdmin } from '../../src/kafka/clients.ts'
import { groupLag } from '../../src/kafka/lag.ts'
import { runCli } from '../helpers/cli.ts'
import { tradeBatches } from '../helpers/trade-messages.ts'
import { insertMessages } from '../helpers/clickhouse-rows.ts'
import { mixedMessages } from '../helpers/market-data.ts'
import { count, produce, silentLog, testEnv, waitCommittedToEnd, type TestEnv } from '../helpers/stack.ts'

async function committedTotal(env: TestEnv): Promise<{ total: number; allCommitted: boolean; end: number }> {
  const admin = createAdmin(env.config.kafka)
  try {
    const lag = await groupLag(admin, env.config.bridge.groupId, [env.config.topics.trades])
    return {
      total: lag.reduce((n, p) => n + Number(p.committed < 0n ? 0n : p.committed), 0),
      allCommitted: lag.every((p) => p.committed >= 0n),
      end: lag.reduce((n, p) => n + Number(p.end), 0)
    }
  } finally {
    await admin.close()
  }
}

test('tickbridge reset offsets refuses while a bridge runs, then moves the committed offsets', async (t) => {
  const env = await testEnv(t)
  const { config } = env
  const trades = tradeBatches(config, 5)
  await produce(config, trades(300))
  await sleep(50)
  const between = new Date().toISOString()
  await sleep(50)
  await produce(config, trades(200))

  const bridge = await startBridge(config, silentLog)
  await waitCommittedToEnd(env, [config.topics.trades])
  const refused = await runCli(['reset', 'offsets', '--to', 'earliest', '--yes'], env.vars)
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /TB_GROUP_ACTIVE.*active member/)
  assert.match(refused.stderr, /tickbridge scale 0/)
  assert.equal((await committedTotal(env)).total, 500, 'nothing moved')
  await bridge.stop()

  const unconfirmed = await runCli(['reset', 'offsets', '--to', 'earliest'], env.vars)
  assert.equal(unconfirmed.code, 1)
  assert.match(unconfirmed.stderr, /without confirmation[\s\S]*--yes/)
  assert.equal((await committedTotal(env)).total, 500, 'nothing moved')

  const earliest = await runCli(['reset', 'offsets', '--to', 'earliest', '--yes', '--json'], env.vars)
  assert.equal(earliest.code, 0, earliest.stderr)
  const moved = JSON.parse(earliest.stdout) as {
    partitions: { topic: string; before: number; after: number }[]
  }
  const tradeMoves = moved.partitions.filter((p) => p.topic === config.topics.trades)
  assert.equal(
    tradeMoves.reduce((n, p) => n + (p.before ?? 0), 0),
    500,
    'before: where the bridge had committed'
  )
  assert.ok(tradeMoves.every((p) => p.after === 0))
  assert.deepEqual(await committedTotal(env), { total: 0, allCommitted: true, end: 500 })

  const atTime = await runCli(['reset', 'offsets', '--to', between, '--yes'], env.vars)
  assert.equal(atTime.code, 0, atTime.stderr)
  assert.match(atTime.stdout, /^TOPIC\s+PARTITION\s+BEFORE\s+AFTER/)
  assert.equal((await committedTotal(env)).total, 300, 'the first offset at or after the time, per partition')

  const latest = await runCli(['reset', 'offsets', '--to', 'latest', '--yes'], env.vars)
  assert.equal(latest.code, 0, latest.stderr)
  assert.equal((await committedTotal(env)).total, 500)

  const bad = await runCli(['reset', 'offsets', '--to', 'yesterday', '--yes'], env.vars)
  assert.match(bad.stderr, /TB_INVALID_ARGUMENT/)
})

test('tickbridge reset clickhouse empties the tables only with --yes', async (t) => {
  const env = await testEnv(t)
  await insertMessages(env, mixedMessages({ trades: 20, depth: 5, quotes: 5, candles: 3 }))
  const rows = async () => {
    const counts: Record<string, number> = {}
    for (const table of MARKET_TABLES)
      counts[table] = await count(
        env.clickhouse,
        `SELECT count() AS n FROM ${env.config.clickhouse.database}.${table}`
      )
    return counts
  }
  const before = await rows()
  assert.ok(
    Object.values(before).every((n) => n > 0),
    JSON.stringify(before)
  )

  const refused = await runCli(['reset', 'clickhouse'], env.vars)
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /refusing to delete every row/)
  assert.deepEqual(await rows(), before)

  const done = await runCli(['reset', 'clickhouse', '--yes'], env.vars)
  assert.equal(done.code, 0, done.stderr)
  assert.match(done.stdout, /emptied/)
  assert.deepEqual(await rows(), { trades: 0, depth: 0, quotes: 0, candles: 0 })
})
