/**
 * What a benchmark's window cost ClickHouse, read from the server's own logs (`system.part_log`,
 * `system.query_log`; the local stack's servers keep both, a server without them gives null): parts written and
 * merged per table, and the server's CPU per kind of query. Used by bench:pipeline and bench:latency.
 */
import type { ClickHouseClient } from '../src/clickhouse/client.ts'
import { table } from './cpu.ts'
import { countRows } from './setup.ts'

export interface TableParts {
  table: string
  newParts: number
  insertedRows: number
  merges: number
  mergedRows: number
}

export interface QueryCpu {
  kind: string
  queries: number
  cpuSeconds: number
}

/**
 * The rows of a query on `system.<log>`, its text values as sent (JSONEachRow), after the server has flushed
 * its logs; null when the server keeps no such log.
 */
async function systemLogRows<Row>(
  clickhouse: ClickHouseClient,
  log: string,
  query: string
): Promise<Row[] | null> {
  const tables = `SELECT count() AS n FROM system.tables WHERE database = 'system' AND name = '${log}'`
  if ((await countRows(clickhouse, tables)) === 0) return null
  await clickhouse.command({ query: 'SYSTEM FLUSH LOGS' })
  return (await clickhouse.query({ query, format: 'JSONEachRow' })).json<Row>()
}

/** A window bound as a ClickHouse DateTime literal (the logs' event_time has whole seconds). */
const dateTimeSql = (d: Date) => `toDateTime(${Math.floor(d.getTime() / 1000)})`

/**
 * Parts written and merged per table of `db` between two times. Which table's merges the merged rows are is
 * what decides the remedy.
 */
export async function partsByTable(
  clickhouse: ClickHouseClient,
  db: string,
  from: Date,
  to: Date
): Promise<TableParts[] | null> {
  // One row per market table: 18.16 logs a renamed table's new parts under its old name (`trades`) and its
  // merges under the new one (`trades_local`, migration 4).
  const rows = await systemLogRows<Record<keyof TableParts, string>>(
    clickhouse,
    'part_log',
    `SELECT replaceRegexpOne(table, '_local$', '') AS table, countIf(event_type = 1) AS newParts, sumIf(rows, event_type = 1) AS insertedRows,
        countIf(event_type = 2) AS merges, sumIf(rows, event_type = 2) AS mergedRows
        FROM system.part_log WHERE database = '${db}' AND event_time >= ${dateTimeSql(from)} AND event_time < ${dateTimeSql(to)}
        GROUP BY table ORDER BY mergedRows DESC`
  )
  return (
    rows?.map((r) => ({
      table: r.table,
      newParts: Number(r.newParts),
      insertedRows: Number(r.insertedRows),
      merges: Number(r.merges),
      mergedRows: Number(r.mergedRows)
    })) ?? null
  )
}

/**
 * The server's CPU per kind of query that names `db` between two times (every query is logged with its
 * ProfileEvents): inserts per table, candle recomputes (INSERT … SELECT), reads.
 */
export async function queryCpu(
  clickhouse: ClickHouseClient,
  db: string,
  from: Date,
  to: Date
): Promise<QueryCpu[] | null> {
  const event = (name: string) => `ProfileEvents.Values[indexOf(ProfileEvents.Names, '${name}')]`
  const target = `replaceRegexpOne(extract(query, 'INSERT INTO ([^ (]+)'), '^.*[.]', '')`
  const source = `replaceRegexpOne(extract(query, 'FROM ([^ \\n]+)'), '^.*[.]', '')`
  const rows = await systemLogRows<Record<keyof QueryCpu, string>>(
    clickhouse,
    'query_log',
    `SELECT multiIf(query LIKE 'INSERT%SELECT%', concat('insert-select into ', ${target}, ' from ', ${source},
            if(query LIKE '%ARRAY JOIN%', ' (rollups)', '')),
          query LIKE 'INSERT%', concat('insert into ', ${target}),
          query LIKE 'SELECT exchange, symbol, \\'10s\\'%', concat('select 10s candles from ', ${source}), 'select') AS kind,
        count() AS queries, sum(${event('UserTimeMicroseconds')} + ${event('SystemTimeMicroseconds')}) / 1e6 AS cpuSeconds
        FROM system.query_log WHERE type = 2 AND event_time >= ${dateTimeSql(from)} AND event_time < ${dateTimeSql(to)}
          AND position(query, '${db}.') > 0
        GROUP BY kind ORDER BY cpuSeconds DESC`
  )
  return (
    rows?.map((r) => ({ kind: r.kind, queries: Number(r.queries), cpuSeconds: Number(r.cpuSeconds) })) ?? null
  )
}

/**
 * The per-kind table in % of one core over `windowSeconds`; with the server's whole CPU over the window
 * (`serverCpuSeconds`, a private server's), a last row for what no query accounts for: merges and background.
 */
export function queryCpuTable(queries: QueryCpu[], windowSeconds: number, serverCpuSeconds?: number): string {
  const share = (s: number) => `${((s / windowSeconds) * 100).toFixed(1)} %`
  const inQueries = queries.reduce((sum, q) => sum + q.cpuSeconds, 0)
  return table([
    ['kind', 'queries', 'CPU-s', '% of one core'],
    ...queries.map((q) => [
      q.kind,
      q.queries.toLocaleString('en-US'),
      q.cpuSeconds.toFixed(2),
      share(q.cpuSeconds)
    ]),
    ...(serverCpuSeconds === undefined
      ? []
      : [
          [
            'merges and background (the rest)',
            '',
            (serverCpuSeconds - inQueries).toFixed(2),
            share(serverCpuSeconds - inQueries)
          ]
        ])
  ])
}
