import assert from 'node:assert/strict'
import { test } from 'node:test'
import { capabilitiesOf } from '../../src/clickhouse/capabilities.ts'
import {
  dropTableStatements,
  insertableColumns,
  migrationsTableSql,
  truncateTableStatements
} from '../../src/clickhouse/cluster-ddl.ts'
import { migrations, statementQuery, type MigrationContext } from '../../src/clickhouse/migrations.ts'
import { expiredDays } from '../../src/clickhouse/retention.ts'

const context = (version: string, cluster: string): MigrationContext => ({
  database: 'market',
  capabilities: capabilitiesOf(version),
  retentionDays: 90,
  cluster
})
const all = (c: MigrationContext) =>
  migrations
    .filter((m) => !m.name.startsWith('write_buffer'))
    .flatMap((m) => m.statements(c).map(statementQuery))
const writeBuffers = (c: MigrationContext) =>
  migrations.find((m) => m.name === 'write_buffers')!.statements(c)

test('one server: plain tables of the names the code queries, nothing ON CLUSTER, no Distributed', () => {
  const statements = all(context('18.16.1', ''))
  assert.equal(statements.length, 5)
  for (const sql of statements) {
    assert.doesNotMatch(sql, /ON CLUSTER|Replicated|Distributed|_local/)
    assert.match(sql, /^CREATE TABLE IF NOT EXISTS market\.(trades|depth|quotes|candles|hub_heartbeats) \(/)
  }
  assert.match(statements[3]!, /ENGINE = ReplacingMergeTree\(version\)\nPARTITION BY/)
  assert.match(
    migrationsTableSql('market'),
    /schema_migrations \(.*ENGINE = ReplacingMergeTree\(\) ORDER BY version/s
  )
})

test('one server: a write buffer in front of each market table, its MergeTree table renamed to <name>_local', () => {
  const statements = writeBuffers(context('18.16.1', ''))
  assert.deepEqual(statements.slice(0, 2), [
    // A RENAME has no IF EXISTS: done before (57) or being done by another bridge (60) counts as done.
    { query: 'RENAME TABLE market.trades TO market.trades_local', alreadyDoneCodes: [57, 60] },
    'CREATE TABLE IF NOT EXISTS market.trades AS market.trades_local ENGINE = Buffer(market, trades_local, 1, 5, 5, 1000000, 1000000, 268435456, 268435456)'
  ])
  const renamed = statements.map(statementQuery).filter((s) => s.startsWith('RENAME'))
  assert.deepEqual(renamed, [
    'RENAME TABLE market.trades TO market.trades_local',
    'RENAME TABLE market.depth TO market.depth_local',
    'RENAME TABLE market.quotes TO market.quotes_local'
  ])
  assert.match(statementQuery(statements.at(-1)!), /market\.buffer_epochs .*ENGINE = Memory/)
  assert.deepEqual(
    writeBuffers(context('18.16.1', 'prod')),
    [],
    'a cluster inserts through Distributed tables'
  )
})

test('one server: the buffers get two layers, swapped in by one RENAME under a spare name of the run, the old one dropped (flushed)', () => {
  const statements = migrations
    .find((m) => m.name === 'write_buffer_layers')!
    .statements(context('18.16.1', ''))
  const trades = statements.slice(0, 6)
  const spare =
    /^CREATE TABLE IF NOT EXISTS (market\.trades_buffer_[0-9a-f]{8}) AS market\.trades_local ENGINE = Buffer\(market, trades_local, 2, 5, 5, 1000000, 1000000, 268435456, 268435456\)$/.exec(
      statementQuery(trades[0]!)
    )?.[1]
  assert.ok(spare, statementQuery(trades[0]!))
  assert.deepEqual(trades.slice(1), [
    {
      query: `RENAME TABLE market.trades TO market.trades_buffer_old, ${spare} TO market.trades`,
      alreadyDoneCodes: [57, 60]
    },
    // A crash between the RENAME's two moves leaves no market.trades: made again.
    'CREATE TABLE IF NOT EXISTS market.trades AS market.trades_local ENGINE = Buffer(market, trades_local, 2, 5, 5, 1000000, 1000000, 268435456, 268435456)',
    // Flushed by a statement that fails when the write does (a DROP would only log it).
    { query: 'OPTIMIZE TABLE market.trades_buffer_old', alreadyDoneCodes: [60] },
    'DROP TABLE IF EXISTS market.trades_buffer_old',
    `DROP TABLE IF EXISTS ${spare}`
  ])
  assert.equal(statements.length, 18, 'six for each of trades, depth and quotes')
  const again = migrations.find((m) => m.name === 'write_buffer_layers')!.statements(context('18.16.1', ''))
  assert.notEqual(statementQuery(again[0]!), statementQuery(trades[0]!), 'another run, another spare')
  assert.deepEqual(
    migrations.find((m) => m.name === 'write_buffer_layers')!.statements(context('18.16.1', 'prod')),
    []
  )
})

test('a cluster: a Replicated local table per shard and a Distributed table of the usual name, sharded by instrument', () => {
  const statements = all(context('18.16.1', 'prod'))
  assert.equal(statements.length, 10, 'two tables for each of the five')
  const trades = statements.slice(0, 2)
  assert.match(
    trades[0]!,
    /^CREATE TABLE IF NOT EXISTS market\.trades_local ON CLUSTER prod \(\n {2}exchange String,[\s\S]*inserted_at DateTime MATERIALIZED now\(\)\n\) ENGINE = ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/\{shard\}\/market\/trades_local', '\{replica\}'\)\nPARTITION BY/
  )
  assert.equal(
    trades[1],
    `CREATE TABLE IF NOT EXISTS market.trades ON CLUSTER prod (
  exchange String,
  symbol String,
  id String,
  price Decimal(38, 18),
  amount Decimal(38, 18),
  side Enum8('unknown' = 0, 'buy' = 1, 'sell' = 2),
  ts UInt64,
  recv_ts UInt64
) ENGINE = Distributed(prod, market, trades_local, cityHash64(exchange, symbol))`
  )
  const candles = statements.find((s) => s.includes('market.candles_local'))!
  assert.match(candles, /ReplicatedReplacingMergeTree\('[^']+candles_local', '\{replica\}', version\)/)
  const heartbeats = statements.find((s) => s.includes('market.hub_heartbeats ON'))!
  assert.match(heartbeats, /Distributed\(prod, market, hub_heartbeats_local, cityHash64\(instance_id\)\)/)
  // Every node holds every applied migration: one ZooKeeper path for all, a replica name unique cluster-wide.
  assert.match(
    migrationsTableSql('market', 'prod'),
    /schema_migrations ON CLUSTER prod .*ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/all\/market\/schema_migrations', '\{shard\}-\{replica\}'\)/s
  )
})

test('cluster tables on current releases keep TTL, and drop the non-replicated deduplication window', () => {
  const [single] = all(context('24.8.1', ''))
  const [local] = all(context('24.8.1', 'prod'))
  assert.match(single!, /TTL .* INTERVAL 90 DAY\nSETTINGS non_replicated_deduplication_window = 1000$/)
  assert.match(local!, /TTL .* INTERVAL 90 DAY$/, 'replicated tables deduplicate tokens by default')
})

test('drop and truncate reach the local tables on every node', () => {
  assert.deepEqual(dropTableStatements('db', 't', ''), ['DROP TABLE IF EXISTS db.t'])
  assert.deepEqual(dropTableStatements('db', 'trades', ''), [
    'DROP TABLE IF EXISTS db.trades',
    'DROP TABLE IF EXISTS db.trades_local'
  ])
  assert.deepEqual(dropTableStatements('db', 't', 'c-1'), [
    'DROP TABLE IF EXISTS db.t ON CLUSTER `c-1`',
    'DROP TABLE IF EXISTS db.t_local ON CLUSTER `c-1`'
  ])
  assert.deepEqual(truncateTableStatements('db', 'trades', ''), [
    'OPTIMIZE TABLE db.trades',
    'TRUNCATE TABLE IF EXISTS db.trades_local'
  ])
  assert.deepEqual(truncateTableStatements('db', 'candles', ''), ['TRUNCATE TABLE IF EXISTS db.candles'])
  assert.deepEqual(truncateTableStatements('db', 'trades', 'c'), [
    'TRUNCATE TABLE IF EXISTS db.trades_local ON CLUSTER c'
  ])
  assert.equal(
    insertableColumns('  a String,\n  b DateTime MATERIALIZED now(),\n  c UInt8'),
    '  a String,\n  c UInt8'
  )
})

test('cluster retention: every day from the oldest row to the cutoff, at most a month a run', () => {
  const now = Date.parse('2026-11-30T06:00:00Z')
  assert.deepEqual(expiredDays(20260829, 90, now), ['20260829', '20260830', '20260831'])
  assert.deepEqual(expiredDays(20260901, 90, now), [])
  assert.equal(expiredDays(20200101, 90, now).length, 31)
  assert.equal(expiredDays(20200101, 90, now)[0], '20200101')
  assert.deepEqual(expiredDays(0, 90, now), [])
})
