import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBridge, type RunningBridge } from '../../src/bridge/run.ts'
import { loadConfig } from '../../src/config/load.ts'
import { assertCandlesMatchTrades, waitFinalCounts } from '../helpers/assertions.ts'
import { mixedMessages, toKafka } from '../helpers/market-data.ts'
import { eventually, produce, silentLog, testEnv, waitCommittedToEnd } from '../helpers/stack.ts'

test('3 bridges over 6 partitions: 200k messages of every type, 10% sent twice, land exactly once', async (t) => {
  const env = await testEnv(t)
  const { config, clickhouse } = env
  const db = config.clickhouse.database
  const counts = { trades: 120_000, depth: 30_000, quotes: 40_000, candles: 10_000 }
  const unique = mixedMessages(counts, 11)
  const resent = unique.filter((_, i) => i % 10 === 3) // 10 % go twice
  const messages = toKafka([...unique, ...resent], config.topics)

  const bridges: RunningBridge[] = []
  t.after(() => Promise.all(bridges.map((b) => b.stop())))
  for (const ordinal of [1, 2, 3]) {
    const instance = loadConfig(
      { ...process.env, ...env.vars, INSTANCE_ORDINAL: String(ordinal) },
      '/nonexistent/.env'
    )
    bridges.push(await startBridge(instance, silentLog))
  }
  // Every instance owns 2 partitions of each of the 4 topics once the group has settled.
  await eventually(
    async () => bridges.every((b) => b.source.assignmentSummary().length === 8),
    () => bridges.map((b) => `${b.source.assignmentSummary().join(',')}`).join(' | '),
    30_000
  )
  for (const bridge of bridges) {
    const owned = bridge.source.assignmentSummary()
    for (const topic of [
      config.topics.trades,
      config.topics.depth,
      config.topics.quotes,
      config.topics.candles
    ]) {
      assert.equal(
        owned.filter((tp) => tp.startsWith(`${topic}:`)).length,
        2,
        `2 partitions of ${topic}: ${owned.join(',')}`
      )
    }
  }

  await produce(config, messages)
  await waitFinalCounts(clickhouse, db, counts, 180_000)
  await waitCommittedToEnd(env, env.topics.slice(0, 4))
  // Work was shared: every instance received messages.
  for (const bridge of bridges) {
    const received = Object.values(bridge.worker.stats.snapshot().received).reduce((a, b) => a + b, 0)
    assert.ok(received > 0, 'each instance consumed some of the load')
  }
  const total = bridges.reduce(
    (sum, b) => sum + Object.values(b.worker.stats.snapshot().received).reduce((a, c) => a + c, 0),
    0
  )
  assert.ok(total >= messages.length, `all ${messages.length} messages were consumed (${total})`)
  await assertCandlesMatchTrades(clickhouse, db)
})
