import { randomBytes } from 'node:crypto'
import type { ServerCapabilities } from './capabilities.ts'
import {
  BUFFERED_TABLES,
  createTableStatements,
  localTable,
  MARKET_SHARDING_KEY,
  type TableSpec
} from './cluster-ddl.ts'

export { migrationsTableSql } from './cluster-ddl.ts'

/**
 * Versioned schema migrations (pure: SQL text only; migration 5 names a spare table at random). Each
 * statement is idempotent on its own (IF NOT EXISTS), and applied versions are recorded in
 * <db>.schema_migrations, so `tickbridge migrate` and every bridge start can run them safely, concurrently too.
 *
 * Versions never change once released: add a new migration instead of editing an old one.
 */
export interface MigrationContext {
  database: string
  capabilities: ServerCapabilities
  retentionDays: number
  /** CLICKHOUSE_CLUSTER: '' for one server (cluster-ddl.ts). */
  cluster: string
}

/**
 * A statement that may find its work done: by an earlier, interrupted run of the same migration, or by
 * another bridge migrating at the same time (a RENAME, which has no IF EXISTS). These ClickHouse error codes
 * then mean "already done".
 */
export interface TolerantStatement {
  query: string
  alreadyDoneCodes: number[]
}

export type Statement = string | TolerantStatement

export function statementQuery(statement: Statement): string {
  return typeof statement === 'string' ? statement : statement.query
}

export interface Migration {
  version: number
  name: string
  statements: (context: MigrationContext) => Statement[]
}

/** Day partitions keyed on the exchange time, so retention can drop whole partitions on servers without TTL. */
const dayPartition = 'toYYYYMMDD(toDateTime(intDiv(ts, 1000)))'

function tableTail(context: MigrationContext, orderBy: string): string {
  const { capabilities, retentionDays, cluster } = context
  const ttl = capabilities.ttl ? `\nTTL toDateTime(intDiv(ts, 1000)) + INTERVAL ${retentionDays} DAY` : ''
  // A deduplication window lets inserts carry insert_deduplication_token on non-replicated tables
  // (replicated ones have one by default).
  const settings =
    capabilities.insertDeduplicationToken && !cluster
      ? '\nSETTINGS non_replicated_deduplication_window = 1000'
      : ''
  return `PARTITION BY ${dayPartition}\nORDER BY (${orderBy})${ttl}${settings}`
}

function table(
  context: MigrationContext,
  spec: Omit<TableSpec, 'database' | 'tail' | 'shardingKey'> & { orderBy: string; shardingKey?: string }
): string[] {
  const { orderBy, shardingKey = MARKET_SHARDING_KEY, ...rest } = spec
  return createTableStatements(
    { ...rest, database: context.database, tail: tableTail(context, orderBy), shardingKey },
    context.cluster
  )
}

/** The trades table (also the scratch copies `tickbridge validate` makes, under another name). */
export function tradesTable(context: MigrationContext, name: string): string[] {
  return table(context, {
    name,
    columns: `  exchange String,
  symbol String,
  id String,
  price Decimal(38, 18),
  amount Decimal(38, 18),
  side Enum8('unknown' = 0, 'buy' = 1, 'sell' = 2),
  ts UInt64,
  recv_ts UInt64,
  inserted_at DateTime MATERIALIZED now()`,
    engine: 'ReplacingMergeTree',
    orderBy: 'exchange, symbol, ts, id'
  })
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'trades',
    statements: (context) => [...tradesTable(context, 'trades')]
  },
  {
    version: 2,
    name: 'depth_quotes_candles',
    statements: (context) => [
      ...table(context, {
        name: 'depth',
        columns: `  exchange String,
  symbol String,
  ts UInt64,
  bids Array(Array(Decimal(38, 18))),
  asks Array(Array(Decimal(38, 18))),
  recv_ts UInt64,
  inserted_at DateTime MATERIALIZED now()`,
        engine: 'ReplacingMergeTree',
        orderBy: 'exchange, symbol, ts'
      }),
      ...table(context, {
        name: 'quotes',
        columns: `  exchange String,
  symbol String,
  ts UInt64,
  bid Decimal(38, 18),
  ask Decimal(38, 18),
  bid_size Decimal(38, 18),
  ask_size Decimal(38, 18),
  recv_ts UInt64,
  inserted_at DateTime MATERIALIZED now()`,
        engine: 'ReplacingMergeTree',
        orderBy: 'exchange, symbol, ts, bid, ask, bid_size, ask_size'
      }),
      ...table(context, {
        name: 'candles',
        columns: `  exchange String,
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
  inserted_at DateTime MATERIALIZED now()`,
        engine: 'ReplacingMergeTree',
        engineArgs: 'version',
        orderBy: 'exchange, symbol, timeframe, source, ts'
      })
    ]
  },
  {
    version: 3,
    name: 'hub_heartbeats',
    // The hub's long view of every instance, one row per heartbeat (docs/hub.md).
    statements: (context) => [
      ...table(context, {
        name: 'hub_heartbeats',
        columns: `  instance_id String,
  role String,
  ts UInt64,
  messages_per_second Float64,
  buffered UInt64,
  insert_latency_ms Float64,
  paused UInt8,
  partitions UInt32,
  inserted UInt64,
  errors UInt64`,
        engine: 'MergeTree',
        orderBy: 'instance_id, ts',
        shardingKey: 'cityHash64(instance_id)'
      })
    ]
  },
  {
    version: 4,
    name: 'write_buffers',
    // One server only: a cluster inserts synchronously through its Distributed tables (cluster-ddl.ts).
    statements: ({ database, cluster }) =>
      cluster
        ? []
        : [
            ...[...BUFFERED_TABLES].flatMap((name) => writeBufferStatements(database, name)),
            bufferEpochsTableSql(database)
          ]
  },
  {
    version: 5,
    name: 'write_buffer_layers',
    // Two layers: a flush locks the layer it writes, and inserts meanwhile go to the other one.
    statements: ({ database, cluster }) => {
      const suffix = randomBytes(4).toString('hex')
      return cluster
        ? []
        : [...BUFFERED_TABLES].flatMap((name) => relayerBufferStatements(database, name, suffix))
    }
  }
]

/** ClickHouse error codes: the table exists / does not exist. */
const TABLE_ALREADY_EXISTS = 57
const UNKNOWN_TABLE = 60

/**
 * How a write buffer flushes on its own, when no bridge flushes it: every 5 s, or at once when it holds 1M rows
 * or 256 MiB (Buffer(database, table, layers, min_time, max_time, min_rows, max_rows, min_bytes, max_bytes)).
 * Bridges flush it themselves before they commit (bridge/buffer-flusher.ts), about every 2 s.
 */
const BUFFER_THRESHOLDS = '5, 5, 1000000, 1000000, 268435456, 268435456'

/**
 * Independent parts of a buffer. A flush holds its layer's lock while it writes the part, and an insert takes a
 * layer it can lock, so with two an insert does not wait for a flush of the other (with one, inserts and reads stopped for the
 * whole write: 100–160 ms at 50,000 msg/s, the p99 of `bench:latency`; docs/benchmarks.md). A flush writes a
 * part per layer holding rows, so more layers would mean more parts again.
 */
export const BUFFER_LAYERS = 2

/**
 * Puts a Buffer table in front of a market table on one server: the MergeTree table becomes `<name>_local`, and
 * `<name>` (what every query and insert names) a Buffer over it with the same columns.
 */
export function writeBufferStatements(database: string, name: string): Statement[] {
  const local = localTable(name, '')
  return [
    {
      query: `RENAME TABLE ${database}.${name} TO ${database}.${local}`,
      // 57: `<name>_local` exists (renamed before); 60: `<name>` is gone (another bridge is renaming it now).
      alreadyDoneCodes: [TABLE_ALREADY_EXISTS, UNKNOWN_TABLE]
    },
    `CREATE TABLE IF NOT EXISTS ${database}.${name} AS ${database}.${local} ENGINE = ${bufferEngine(database, local, 1)}`
  ]
}

function bufferEngine(database: string, local: string, layers: number): string {
  return `Buffer(${database}, ${local}, ${layers}, ${BUFFER_THRESHOLDS})`
}

/**
 * Replaces the one-layer Buffer table of migration 4 with one of BUFFER_LAYERS, while bridges may be inserting:
 * the new buffer is built under a spare name of this run's own (`spareSuffix`) and swapped in by one RENAME.
 * The RENAME's two moves run one after the other: the first fails, moving nothing, when another bridge is
 * swapping now (57: `<name>_buffer_old` is taken; 60: `<name>` is gone for a moment), which counts as done, and the
 * second cannot fail, as no one else knows the spare's name. Then `<name>` is created if a crash between the two
 * moves left none; the old buffer is flushed into `<name>_local` by an OPTIMIZE, which fails (and with it the
 * migration, to be run again) when the write fails, where a DROP would only log it; then the old buffer and an
 * unused spare are dropped.
 */
export function relayerBufferStatements(database: string, name: string, spareSuffix: string): Statement[] {
  const local = localTable(name, '')
  const engine = bufferEngine(database, local, BUFFER_LAYERS)
  const spare = `${database}.${name}_buffer_${spareSuffix}`
  const old = `${database}.${name}_buffer_old`
  return [
    `CREATE TABLE IF NOT EXISTS ${spare} AS ${database}.${local} ENGINE = ${engine}`,
    {
      query: `RENAME TABLE ${database}.${name} TO ${old}, ${spare} TO ${database}.${name}`,
      alreadyDoneCodes: [TABLE_ALREADY_EXISTS, UNKNOWN_TABLE]
    },
    `CREATE TABLE IF NOT EXISTS ${database}.${name} AS ${database}.${local} ENGINE = ${engine}`,
    // 60: another bridge has flushed and dropped it.
    { query: `OPTIMIZE TABLE ${old}`, alreadyDoneCodes: [UNKNOWN_TABLE] },
    `DROP TABLE IF EXISTS ${old}`,
    `DROP TABLE IF EXISTS ${spare}`
  ]
}

/** One row per running bridge, in memory: gone when ClickHouse restarts, which tells the bridges their buffered rows went too. */
export function bufferEpochsTableSql(database: string): string {
  return `CREATE TABLE IF NOT EXISTS ${database}.${BUFFER_EPOCHS_TABLE} (instance String, token String) ENGINE = Memory`
}

export const BUFFER_EPOCHS_TABLE = 'buffer_epochs'

export function pendingMigrations(all: Migration[], applied: Set<number>): Migration[] {
  return all.filter((migration) => !applied.has(migration.version)).sort((a, b) => a.version - b.version)
}
