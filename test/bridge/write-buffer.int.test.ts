import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBridge } from '../../src/bridge/run.ts'
import { detectCapabilities } from '../../src/clickhouse/client.ts'
import { clickhouseErrorCode } from '../../src/core/insert-errors.ts'
import { migrate, runStatement } from '../../src/clickhouse/migrate.ts'
import { migrations, migrationsTableSql, statementQuery } from '../../src/clickhouse/migrations.ts'
import type { TradeMessage } from '../../src/core/messages.ts'
import { TradeGenerator } from '../../src/sim/market.ts'
import { assertCandlesMatchTrades } from '../helpers/assertions.ts'
import { assertTradesStored, storedTrades, waitStoredTrades } from '../helpers/clickhouse-rows.ts'
import {
  BASE_TS,
  count,
  produce,
  queryRows,
  silentLog,
  testEnv,
  waitCommittedToEnd
} from '../helpers/stack.ts'

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

test('write buffer: an install with one-layer buffers gets two (migration 5) while rows sit in them, and loses none', async (t) => {
  const env = await testEnv(t)
  const { config, clickhouse } = env
  const db = config.clickhouse.database
  // The schema as it stood after migration 4.
  const context = {
    database: db,
    capabilities: await detectCapabilities(clickhouse),
    retentionDays: config.clickhouse.retentionDays,
    cluster: ''
  }
  await clickhouse.command({ query: `CREATE DATABASE ${db}` })
  await clickhouse.command({ query: migrationsTableSql(db) })
  for (const migration of migrations.filter((m) => m.version <= 4)) {
    for (const statement of migration.statements(context))
      await clickhouse.command({ query: statementQuery(statement) })
    await clickhouse.insert({
      table: `${db}.schema_migrations`,
      values: [{ version: migration.version, name: migration.name, applied_at: 0 }],
      format: 'JSONEachRow'
    })
  }
  const engine = (name: string) =>
    queryRows<{ engine_full: string }>(
      clickhouse,
      `SELECT engine_full FROM system.tables WHERE database = '${db}' AND name = '${name}'`
    ).then((rows) => rows[0]?.engine_full ?? '')
  assert.match(await engine('trades'), new RegExp(`^Buffer\\(${db}, trades_local, 1, `))

  // Rows in the old buffer, not flushed (it flushes itself after 5 s; the migration runs at once).
  const rows = 2_000
  await clickhouse.command({
    query: `INSERT INTO ${db}.trades (exchange, symbol, id, price, amount, side, ts, recv_ts)
      SELECT 'sim', 'BTCUSDT', toString(number), toDecimal128('100.5', 18), toDecimal128('1', 18), 'buy',
        ${BASE_TS} + number, ${BASE_TS} + number FROM system.numbers LIMIT ${rows}`
  })
  assert.equal(await count(clickhouse, `SELECT count() AS n FROM ${db}.trades_local`), 0, 'still buffered')

  const result = await migrate(clickhouse, config.clickhouse, silentLog)
  assert.deepEqual(result.applied, ['5_write_buffer_layers'])
  for (const name of ['trades', 'depth', 'quotes'])
    assert.match(await engine(name), new RegExp(`^Buffer\\(${db}, ${name}_local, 2, 5, 5, `))
  assert.equal(await count(clickhouse, `SELECT count() AS n FROM ${db}.trades_local`), rows)
  assert.equal(await count(clickhouse, `SELECT count() AS n FROM ${db}.trades`), rows)
  const spareTables = () =>
    queryRows<{ name: string }>(
      clickhouse,
      `SELECT name FROM system.tables WHERE database = '${db}' AND name LIKE '%\\_buffer\\_%'`
    )
  assert.deepEqual(await spareTables(), [], 'no spare or old buffer left')

  // Two more bridges running the same migration at one moment, while rows are inserted: each swap finds the
  // work done or swaps again, and no row is lost (an insert can find no `trades` for an instant: tried again).
  let inserting = true
  let inserted = 0
  const inserts = (async () => {
    while (inserting) {
      await clickhouse
        .command({
          query: `INSERT INTO ${db}.trades (exchange, symbol, id, price, amount, side, ts, recv_ts)
            SELECT 'sim', 'ETHUSDT', toString(number), toDecimal128('1', 18), toDecimal128('1', 18), 'sell',
              ${BASE_TS} + number, ${BASE_TS} + number FROM system.numbers LIMIT ${inserted}, 100`
        })
        .then(
          () => (inserted += 100),
          (error: unknown) => {
            if (Number(clickhouseErrorCode(error)) !== 60) throw error
          }
        )
    }
  })()
  const relayer = migrations.find((m) => m.version === 5)!
  await Promise.all(
    [1, 2].map(async () => {
      for (const statement of relayer.statements(context))
        await runStatement(clickhouse, statement, relayer.name)
    })
  )
  inserting = false
  await inserts
  assert.ok(inserted > 0)
  assert.match(await engine('trades'), new RegExp(`^Buffer\\(${db}, trades_local, 2, `))
  assert.equal(await count(clickhouse, `SELECT count() AS n FROM ${db}.trades`), rows + inserted)
  await clickhouse.command({ query: `OPTIMIZE TABLE ${db}.trades` })
  assert.equal(await count(clickhouse, `SELECT count() AS n FROM ${db}.trades_local`), rows + inserted)
  assert.deepEqual(await spareTables(), [], 'no spare or old buffer left')
})
