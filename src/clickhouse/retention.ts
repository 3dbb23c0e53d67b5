import type { Logger } from 'pino'
import { tableNames } from '../core/rows.ts'
import { sqlString } from '../core/sql.ts'
import type { ClickHouseClient } from './client.ts'

/**
 * Retention for servers without table TTL (before 19.6, e.g. Debian's 18.16): tables are partitioned by
 * exchange day (YYYYMMDD), and whole partitions older than the retention window are dropped.
 * Where TTL exists, the tables carry it (migrations.ts) and this job is not started.
 */
export function expiredPartitions(partitions: string[], retentionDays: number, now: number): string[] {
  const cutoff = new Date(now - retentionDays * 86_400_000)
  const cutoffId = Number(cutoff.toISOString().slice(0, 10).replaceAll('-', ''))
  return [...new Set(partitions)].filter((id) => /^\d{8}$/.test(id) && Number(id) < cutoffId).sort()
}

/** The market tables and the hub's long view: all partitioned by day (migrations.ts). */
const retainedTables = [...tableNames, 'hub_heartbeats']

export async function dropExpiredPartitions(
  client: ClickHouseClient,
  database: string,
  retentionDays: number,
  log: Logger,
  now = Date.now()
): Promise<string[]> {
  const dropped: string[] = []
  for (const table of retainedTables) {
    const result = await client.query({
      query: `SELECT DISTINCT partition FROM system.parts WHERE database = ${sqlString(database)} AND table = ${sqlString(table)} AND active`,
      format: 'JSONEachRow'
    })
    const partitions = (await result.json<{ partition: string }>()).map((row) =>
      row.partition.replaceAll("'", '')
    )
    for (const id of expiredPartitions(partitions, retentionDays, now)) {
      await client.command({ query: `ALTER TABLE ${database}.${table} DROP PARTITION ${id}` })
      dropped.push(`${table}/${id}`)
    }
  }
  if (dropped.length) log.info({ dropped, retentionDays }, 'retention: dropped expired partitions')
  return dropped
}
