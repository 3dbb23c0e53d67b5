import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createAdmin } from '../../src/kafka/clients.ts'
import { groupLag } from '../../src/kafka/lag.ts'
import { finalCounts } from '../helpers/assertions.ts'
import { streamTrades, uniqueTrades } from '../helpers/load.ts'
import { killAll, spawnBridge } from '../helpers/processes.ts'
import { eventually, testEnv, waitCommittedToEnd } from '../helpers/stack.ts'

test('SIGTERM mid-stream: the bridge drains, commits exactly what it inserted, leaves the group and exits 0', async (t) => {
  const env = await testEnv(t)
  const { config, clickhouse } = env
  const db = config.clickhouse.database
  const admin = createAdmin(config.kafka)
  const first = spawnBridge(env, 1)
  const bridges = [first]
  t.after(async () => {
    await killAll(bridges)
    await admin.close()
  })

  const trades = uniqueTrades(40_000, 21)
  const streaming = streamTrades(config, trades, 8_000)
  await eventually(
    async () => (await finalCounts(clickhouse, db)).trades! > 5_000,
    () => `no rows yet\n${first.output()}`
  )
  const signalledAt = Date.now()
  first.child.kill('SIGTERM')
  const code = await first.exited
  assert.equal(code, 0, `exit code 0 after SIGTERM\n${first.output().slice(-2000)}`)
  t.diagnostic(`exited ${Date.now() - signalledAt} ms after SIGTERM`)
  assert.match(first.output(), /bridge stopped cleanly/)

  const committed = (await groupLag(admin, config.bridge.groupId, [config.topics.trades])).reduce(
    (sum, p) => sum + (p.committed > 0n ? p.committed : 0n),
    0n
  )
  const rows = (await finalCounts(clickhouse, db)).trades!
  assert.equal(committed, BigInt(rows), 'committed offsets equal the rows inserted')
  assert.ok(rows < trades.length, 'stopped mid-stream')

  // A new instance picks up exactly where the first one committed: nothing lost.
  bridges.push(spawnBridge(env, 2))
  await streaming
  await waitCommittedToEnd(env, [config.topics.trades])
  const admin2 = createAdmin(config.kafka)
  const lagNow = await groupLag(admin2, config.bridge.groupId, [config.topics.trades]).finally(() =>
    admin2.close()
  )
  assert.equal(
    (await finalCounts(clickhouse, db)).trades,
    trades.length,
    `${JSON.stringify(lagNow, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\nFIRST\n${first.output().slice(-3000)}\nSECOND\n${bridges[1]!.output().slice(-3000)}`
  )
})
