import type { Logger } from 'pino'
import { tableNames } from '../core/rows.ts'
import { sqlString } from '../core/sql.ts'
import type { ClickHouseClient } from './client.ts'
import { localTable, onCluster } from './cluster-ddl.ts'

/** The first day kept, `YYYY-MM-DD` (UTC): every day before it is expired. */
function cutoffDay(retentionDays: number, now: number): string {
  return new Date(now - retentionDays * 86_400_000).toISOString().slice(0, 10)
}

/**
 * Retention for servers without table TTL (before 19.6, e.g. Debian's 18.16): tables are partitioned by
 * exchange day (YYYYMMDD), and whole partitions older than the retention window are dropped.
 * Where TTL exists, the tables carry it (migrations.ts) and this job is not started.
 */
export function expiredPartitions(partitions: string[], retentionDays: number, now: number): string[] {
  const cutoffId = Number(cutoffDay(retentionDays, now).replaceAll('-', ''))
  return [...new Set(partitions)].filter((id) => /^\d{8}$/.test(id) && Number(id) < cutoffId).sort()
}

/**
 * On a cluster, the days from the oldest row's day (over the Distributed table, every shard) up to the cutoff:
 * dropping a partition that a shard does not have is a no-op, so every shard is asked for every day. At most
 * `limit` days a run (each one is a DDL task on every node): the next run goes on from the new oldest row.
 */
export function expiredDays(oldestDay: number, retentionDays: number, now: number, limit = 31): string[] {
  const cutoff = cutoffDay(retentionDays, now)
  const days: string[] = []
  const oldest = String(oldestDay)
  const day = new Date(`${oldest.slice(0, 4)}-${oldest.slice(4, 6)}-${oldest.slice(6, 8)}T00:00:00Z`)
  if (!/^\d{8}$/.test(oldest) || Number.isNaN(day.getTime())) return days
  for (; days.length < limit && day.toISOString().slice(0, 10) < cutoff; day.setUTCDate(day.getUTCDate() + 1))
    days.push(day.toISOString().slice(0, 10).replaceAll('-', ''))
  return days
}

/** The market tables and the hub's long view: all partitioned by day (migrations.ts). */
const retainedTables = [...tableNames, 'hub_heartbeats']

export async function dropExpiredPartitions(
  client: ClickHouseClient,
  database: string,
  retentionDays: number,
  log: Logger,
  options: { now?: number; cluster?: string } = {}
): Promise<string[]> {
  const { now = Date.now(), cluster = '' } = options
  const dropped: string[] = []
  for (const table of retainedTables) {
    const expired = cluster
      ? await expiredOnCluster(client, database, table, retentionDays, now)
      : await expiredOnServer(client, database, table, retentionDays, now)
    for (const id of expired) {
      // ON CLUSTER: every shard drops it; a replicated drop reaches every replica of the shard.
      await client.command({
        query: `ALTER TABLE ${database}.${localTable(table, cluster)}${onCluster(cluster)} DROP PARTITION ${id}`
      })
      dropped.push(`${table}/${id}`)
    }
  }
  if (dropped.length) log.info({ dropped, retentionDays }, 'retention: dropped expired partitions')
  return dropped
}

async function expiredOnServer(
  client: ClickHouseClient,
  database: string,
  table: string,
  retentionDays: number,
  now: number
): Promise<string[]> {
  const result = await client.query({
    query: `SELECT DISTINCT partition FROM system.parts WHERE database = ${sqlString(database)} AND table = ${sqlString(localTable(table, ''))} AND active`,
    format: 'JSONEachRow'
  })
  const partitions = (await result.json<{ partition: string }>()).map((row) =>
    row.partition.replaceAll("'", '')
  )
  return expiredPartitions(partitions, retentionDays, now)
}

/**
 * system.parts shows one node only: on a cluster, the oldest day of the whole (Distributed) table, among the
 * rows older than the cutoff's day only. The filter on `ts` prunes partitions by their min/max `ts` (every
 * shard reads only the days that are due to go, usually none), where `min(ts)` over the whole table read the
 * `ts` column of every row on every shard, hourly, from every bridge.
 */
async function expiredOnCluster(
  client: ClickHouseClient,
  database: string,
  table: string,
  retentionDays: number,
  now: number
): Promise<string[]> {
  const cutoffDayStart = Date.parse(`${cutoffDay(retentionDays, now)}T00:00:00Z`)
  const result = await client.query({
    query: `SELECT count() AS n, toYYYYMMDD(toDateTime(intDiv(min(ts), 1000))) AS day FROM ${database}.${table} WHERE ts < ${cutoffDayStart}`,
    format: 'JSONEachRow'
  })
  const [row] = await result.json<{ n: string | number; day: string | number }>()
  return row && Number(row.n) > 0 ? expiredDays(Number(row.day), retentionDays, now) : []
}
