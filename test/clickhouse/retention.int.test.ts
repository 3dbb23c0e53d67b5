import assert from 'node:assert/strict'
import { test } from 'node:test'
import { dropExpiredPartitions } from '../../src/clickhouse/retention.ts'
import { uniqueTrades } from '../helpers/load.ts'
import { insertMessages } from '../helpers/clickhouse-rows.ts'
import { count, silentLog, testEnv } from '../helpers/stack.ts'

const DAY = 86_400_000

test('retention (servers without TTL) drops day partitions past RETENTION_DAYS from the market tables and hub_heartbeats', async (t) => {
  const env = await testEnv(t)
  const db = env.config.clickhouse.database
  const now = Date.now()
  const [recent, old] = uniqueTrades(2, 7)
  await insertMessages(env, [
    { ...recent!, ts: now - DAY },
    { ...old!, ts: now - 200 * DAY }
  ])
  for (const ts of [now - DAY, now - 200 * DAY]) {
    await env.clickhouse.command({
      query: `INSERT INTO ${db}.hub_heartbeats (instance_id, role, ts) VALUES ('bridge-1', 'bridge', ${ts})`
    })
  }
  const dropped = await dropExpiredPartitions(env.clickhouse, db, 90, silentLog, { now })
  assert.equal(dropped.length, 2, dropped.join(', '))
  assert.equal(await count(env.clickhouse, `SELECT count() AS n FROM ${db}.trades`), 1)
  assert.equal(await count(env.clickhouse, `SELECT count() AS n FROM ${db}.hub_heartbeats`), 1)
  assert.equal(
    await count(env.clickhouse, `SELECT count() AS n FROM ${db}.hub_heartbeats WHERE ts > ${now - 2 * DAY}`),
    1,
    'the recent heartbeat stays'
  )
})
