import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBridge } from '../../src/bridge/run.ts'
import type { TradeMessage } from '../../src/core/messages.ts'
import { TradeGenerator } from '../../src/sim/market.ts'
import { assertCandlesMatchTrades } from '../helpers/assertions.ts'
import { assertTradesStored, storedTrades, waitStoredTrades } from '../helpers/clickhouse-rows.ts'
import { BASE_TS, count, produce, silentLog, testEnv, waitCommittedToEnd } from '../helpers/stack.ts'

// Integration: a bridge with CLICKHOUSE_WRITE_BUFFER on a real ClickHouse (docs/clickhouse-schema.md#write-buffers).

function trades(n: number): TradeMessage[] {
  const generator = new TradeGenerator({
    exchange: 'sim',
    symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'],
    seed: 7
  })
  return Array.from({ length: n }, (_, i) => generator.next(BASE_TS + i).message)
}

test('write buffer: rows reach <name>_local through the Buffer table, commits follow the flushes, and a lost buffer is inserted again', async (t) => {
  const env = await testEnv(t, { CLICKHOUSE_WRITE_BUFFER: 'true', BUFFER_FLUSH_INTERVAL_MS: '200' })
  const { config, clickhouse } = env
  const db = config.clickhouse.database
  const toMessages = (list: TradeMessage[]) =>
    list.map((m) => ({
      topic: config.topics.trades,
      key: `${m.exchange}:${m.symbol}`,
      value: JSON.stringify(m)
    }))
  const all = trades(15_000)
  const first = all.slice(0, 10_000)
  await produce(config, toMessages(first))
  const bridge = await startBridge(config, silentLog)
  t.after(() => bridge.stop())
  await waitCommittedToEnd(env, [config.topics.trades])
  // Committed means stored: every row is in the MergeTree table behind the buffer.
  assert.equal(await count(clickhouse, `SELECT count() AS n FROM ${db}.trades_local`), first.length)
  assert.equal(
    await count(
      clickhouse,
      `SELECT count() AS n FROM system.tables WHERE database = '${db}' AND name = 'trades' AND engine = 'Buffer'`
    ),
    1
  )

  // What a ClickHouse restart does to the bridges' tokens (it also empties the buffers; here they keep their
  // rows, which the bridge inserts again: the identity absorbs the copies).
  await clickhouse.command({ query: `TRUNCATE TABLE ${db}.buffer_epochs` })
  const second = all.slice(10_000)
  await produce(config, toMessages(second))
  await waitCommittedToEnd(env, [config.topics.trades])
  assert.ok(bridge.worker.stats.reinsertedCount > 0, 'batches of the lost epoch were inserted again')
  await waitStoredTrades(env, first.length + second.length)
  const stored = assertTradesStored(await storedTrades(env), [...first, ...second])
  assert.equal(stored.size, first.length + second.length)
  await assertCandlesMatchTrades(clickhouse, db)
})
