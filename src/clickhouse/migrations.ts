import type { ServerCapabilities } from './capabilities.ts'

/**
 * Versioned schema migrations (pure: SQL text only). Each statement is idempotent on its own
 * (IF NOT EXISTS), and applied versions are recorded in <db>.schema_migrations, so `tickbridge migrate`
 * and every bridge start can run them safely, concurrently too.
 *
 * Versions never change once released: add a new migration instead of editing an old one.
 */
export interface MigrationContext {
  database: string
  capabilities: ServerCapabilities
  retentionDays: number
}

export interface Migration {
  version: number
  name: string
  statements: (context: MigrationContext) => string[]
}

/** Day partitions keyed on the exchange time, so retention can drop whole partitions on servers without TTL. */
const dayPartition = 'toYYYYMMDD(toDateTime(intDiv(ts, 1000)))'

function tableTail(context: MigrationContext, orderBy: string): string {
  const { capabilities, retentionDays } = context
  const ttl = capabilities.ttl ? `\nTTL toDateTime(intDiv(ts, 1000)) + INTERVAL ${retentionDays} DAY` : ''
  // A deduplication window lets inserts carry insert_deduplication_token on non-replicated tables.
  const settings = capabilities.insertDeduplicationToken
    ? '\nSETTINGS non_replicated_deduplication_window = 1000'
    : ''
  return `PARTITION BY ${dayPartition}\nORDER BY (${orderBy})${ttl}${settings}`
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'trades',
    statements: (context) => [
      `CREATE TABLE IF NOT EXISTS ${context.database}.trades (
  exchange String,
  symbol String,
  id String,
  price Decimal(38, 18),
  amount Decimal(38, 18),
  side Enum8('unknown' = 0, 'buy' = 1, 'sell' = 2),
  ts UInt64,
  recv_ts UInt64,
  inserted_at DateTime MATERIALIZED now()
) ENGINE = ReplacingMergeTree()
${tableTail(context, 'exchange, symbol, ts, id')}`
    ]
  },
  {
    version: 2,
    name: 'depth_quotes_candles',
    statements: (context) => [
      `CREATE TABLE IF NOT EXISTS ${context.database}.depth (
  exchange String,
  symbol String,
  ts UInt64,
  bids Array(Array(Decimal(38, 18))),
  asks Array(Array(Decimal(38, 18))),
  recv_ts UInt64,
  inserted_at DateTime MATERIALIZED now()
) ENGINE = ReplacingMergeTree()
${tableTail(context, 'exchange, symbol, ts')}`,
      `CREATE TABLE IF NOT EXISTS ${context.database}.quotes (
  exchange String,
  symbol String,
  ts UInt64,
  bid Decimal(38, 18),
  ask Decimal(38, 18),
  bid_size Decimal(38, 18),
  ask_size Decimal(38, 18),
  recv_ts UInt64,
  inserted_at DateTime MATERIALIZED now()
) ENGINE = ReplacingMergeTree()
${tableTail(context, 'exchange, symbol, ts, bid, ask, bid_size, ask_size')}`,
      `CREATE TABLE IF NOT EXISTS ${context.database}.candles (
  exchange String,
  symbol String,
  timeframe String,
  source Enum8('exchange' = 1, 'trades' = 2),
  ts UInt64,
  open Decimal(38, 18),
  high Decimal(38, 18),
  low Decimal(38, 18),
  close Decimal(38, 18),
  volume Decimal(38, 18),
  trades UInt64,
  recv_ts UInt64,
  version UInt64,
  inserted_at DateTime MATERIALIZED now()
) ENGINE = ReplacingMergeTree(version)
${tableTail(context, 'exchange, symbol, timeframe, source, ts')}`
    ]
  },
  {
    version: 3,
    name: 'hub_heartbeats',
    // The hub's long view of every instance, one row per heartbeat (docs/hub.md).
    statements: (context) => [
      `CREATE TABLE IF NOT EXISTS ${context.database}.hub_heartbeats (
  instance_id String,
  role String,
  ts UInt64,
  messages_per_second Float64,
  buffered UInt64,
  insert_latency_ms Float64,
  paused UInt8,
  partitions UInt32,
  inserted UInt64,
  errors UInt64
) ENGINE = MergeTree()
${tableTail(context, 'instance_id, ts')}`
    ]
  }
]

export function migrationsTableSql(database: string): string {
  return `CREATE TABLE IF NOT EXISTS ${database}.schema_migrations (
  version UInt32,
  name String,
  applied_at DateTime
) ENGINE = ReplacingMergeTree() ORDER BY version`
}

export function pendingMigrations(all: Migration[], applied: Set<number>): Migration[] {
  return all.filter((migration) => !applied.has(migration.version)).sort((a, b) => a.version - b.version)
}
