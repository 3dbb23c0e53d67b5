/**
 * The table DDL of both modes (pure: SQL text only). One server: `CREATE TABLE <db>.<name> … ENGINE =
 * <engine>`. A cluster (CLICKHOUSE_CLUSTER): the rows live in `<db>.<name>_local`, a `Replicated<engine>` on every
 * node (ZooKeeper path per shard), and `<db>.<name>` is a `Distributed` table over them, so every query and
 * insert of the rest of the code is unchanged. Every statement runs `ON CLUSTER`. See docs/clickhouse-schema.md.
 */
export interface TableSpec {
  database: string
  name: string
  /** The column list, without the parentheses. */
  columns: string
  /** `ReplacingMergeTree` or `MergeTree`. */
  engine: 'ReplacingMergeTree' | 'MergeTree'
  /** Engine arguments of the single-server engine (the version column of a ReplacingMergeTree). */
  engineArgs?: string
  /** PARTITION BY / ORDER BY / TTL / SETTINGS after the engine. */
  tail: string
  /** The Distributed sharding key: rows with the same key land on the same shard. */
  shardingKey: string
}

/** The market tables are sharded by their instrument: every copy of a row, every trade of a candle, one shard. */
export const MARKET_SHARDING_KEY = 'cityHash64(exchange, symbol)'

export function onCluster(cluster: string): string {
  return cluster ? ` ON CLUSTER ${quoteIdentifier(cluster)}` : ''
}

/**
 * The market tables that, on one server, are a `Buffer` table in front of `<name>_local` (migration 4,
 * docs/clickhouse-schema.md#write-buffers). Bridges insert into the buffer with CLICKHOUSE_WRITE_BUFFER, else
 * into `<name>_local` directly.
 */
export const BUFFERED_TABLES: ReadonlySet<string> = new Set(['trades', 'depth', 'quotes'])

/**
 * Where the rows of `table` are stored: `<table>_local` on a cluster's nodes and, on one server, behind a write
 * buffer; otherwise the table itself.
 */
export function localTable(table: string, cluster: string): string {
  return cluster || BUFFERED_TABLES.has(table) ? `${table}_local` : table
}

/**
 * The table that holds every row written for good, without the rows still in a write buffer: what candles
 * are computed from (no buffered copy escapes FINAL). On a cluster the `Distributed` table (every shard).
 */
export function storedTable(table: string, cluster: string): string {
  return cluster ? table : localTable(table, cluster)
}

function quoteIdentifier(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `\`${name.replaceAll('`', '\\`')}\``
}

/**
 * The ZooKeeper path of a replicated table: per shard (`{shard}` macro), or `all` for a table every node holds
 * whole; the replica name must be unique per path, so `all` tables name it `{shard}-{replica}`.
 */
function replicatedArgs(database: string, table: string, scope: 'shard' | 'all'): string {
  return scope === 'shard'
    ? `'/clickhouse/tables/{shard}/${database}/${table}', '{replica}'`
    : `'/clickhouse/tables/all/${database}/${table}', '{shard}-{replica}'`
}

export function createTableStatements(spec: TableSpec, cluster: string): string[] {
  const { database, name, columns, engine, engineArgs = '', tail } = spec
  if (!cluster) {
    return [
      `CREATE TABLE IF NOT EXISTS ${database}.${name} (\n${columns}\n) ENGINE = ${engine}(${engineArgs})\n${tail}`
    ]
  }
  const local = localTable(name, cluster)
  const args = [replicatedArgs(database, local, 'shard'), engineArgs].filter(Boolean).join(', ')
  return [
    `CREATE TABLE IF NOT EXISTS ${database}.${local}${onCluster(cluster)} (\n${columns}\n) ENGINE = Replicated${engine}(${args})\n${tail}`,
    `CREATE TABLE IF NOT EXISTS ${database}.${name}${onCluster(cluster)} (\n${insertableColumns(columns)}\n) ENGINE = Distributed(${quoteIdentifier(cluster)}, ${database}, ${local}, ${spec.shardingKey})`
  ]
}

/**
 * The columns without the MATERIALIZED ones (`inserted_at`): 18.16's Distributed table sends a materialized
 * column to the shards, which refuse it; left out, each shard's local table computes it, as on one server.
 */
export function insertableColumns(columns: string): string {
  return columns
    .split(/,\n/)
    .filter((column) => !/\sMATERIALIZED\s/.test(column))
    .join(',\n')
}

/** The table of applied migrations: on a cluster, one replicated copy on every node (any node can answer). */
export function migrationsTableSql(database: string, cluster = ''): string {
  const engine = cluster
    ? `ReplicatedReplacingMergeTree(${replicatedArgs(database, 'schema_migrations', 'all')})`
    : 'ReplacingMergeTree()'
  return `CREATE TABLE IF NOT EXISTS ${database}.schema_migrations${onCluster(cluster)} (
  version UInt32,
  name String,
  applied_at DateTime
) ENGINE = ${engine} ORDER BY version`
}

/** Drops both tables of a cluster or buffered table (the front table first), or the one table of a server. */
export function dropTableStatements(database: string, name: string, cluster: string): string[] {
  const local = localTable(name, cluster)
  const tables = local === name ? [name] : [name, local]
  return tables.map((table) => `DROP TABLE IF EXISTS ${database}.${table}${onCluster(cluster)}`)
}

/** Empties a table; a write buffer is flushed first, or the rows it holds would land after the TRUNCATE. */
export function truncateTableStatements(database: string, name: string, cluster: string): string[] {
  const truncate = `TRUNCATE TABLE IF EXISTS ${database}.${localTable(name, cluster)}${onCluster(cluster)}`
  return !cluster && BUFFERED_TABLES.has(name) ? [`OPTIMIZE TABLE ${database}.${name}`, truncate] : [truncate]
}
