import { Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import type { Logger } from 'pino'
import type { ClickHouseClient } from '../clickhouse/client.ts'
import { localTable } from '../clickhouse/cluster-ddl.ts'
import { sqlString } from '../core/sql.ts'
import { groupLag } from '../kafka/lag.ts'
import type { Admin } from '@platformatic/kafka'
import type { ClusterView, LagGroup } from './cluster-view.ts'
import type { InstanceView } from '../core/instance-registry.ts'

/** Runs `work` every `intervalMs` (never overlapping itself); failures are reported once per change of message. */
export function every(intervalMs: number, work: () => Promise<void>, log: Logger, what: string): () => void {
  let running = false
  let lastError = ''
  const run = async () => {
    if (running) return
    running = true
    try {
      await work()
      if (lastError) log.info(`${what}: working again`)
      lastError = ''
    } catch (error) {
      const message = (error as Error).message
      if (message !== lastError) log.warn({ err: error }, `${what} failed; retrying`)
      lastError = message
    } finally {
      running = false
    }
  }
  void run()
  const timer = setInterval(() => void run(), intervalMs).unref()
  return () => clearInterval(timer)
}

/**
 * Consumer lag per partition of each worker pool's group (the bridge group when no bridge reports a pool),
 * attributed to the instance that owns the partition.
 */
export async function pollLag(view: ClusterView, admin: Admin, fallback: LagGroup): Promise<void> {
  try {
    const groups = view.lagGroups(fallback)
    const lags = await Promise.all(
      groups.map(async (g) => ({ ...g, partitions: await groupLag(admin, g.group, g.topics) }))
    )
    view.setLag(lags, fallback.group)
  } catch (error) {
    view.lagError = (error as Error).message
    throw error
  }
}

const COUNTED_TABLES = ['trades', 'depth', 'quotes', 'candles'] as const

/**
 * Rows per tickbridge table, from system.parts (cheap; counts rows not yet merged by ReplacingMergeTree). On a
 * cluster system.parts shows one node, so each Distributed table is counted instead (count() without a
 * filter is answered from each shard's part metadata).
 */
export async function pollTables(
  view: ClusterView,
  clickhouse: ClickHouseClient,
  database: string,
  cluster = ''
): Promise<void> {
  const query = cluster
    ? COUNTED_TABLES.map((t) => `SELECT '${t}' AS name, count() AS rows FROM ${database}.${t}`).join(
        ' UNION ALL '
      )
    : // The rows of a table behind a Buffer are stored in `<table>_local` (rows still in a buffer are not
      // counted). The alias is not `table`: ClickHouse aliases are visible in WHERE, and would replace the column.
      `SELECT replaceRegexpOne(table, '_local$', '') AS name, sum(rows) AS rows FROM system.parts WHERE database = ${sqlString(database)} AND active AND table IN (${COUNTED_TABLES.map((t) => sqlString(localTable(t, ''))).join(', ')}) GROUP BY name`
  const result = await clickhouse.query({ query, format: 'JSONEachRow' })
  const rows = await result.json<{ name: string; rows: string | number }>()
  view.tables = Object.fromEntries(
    COUNTED_TABLES.map((t) => [t, Number(rows.find((r) => r.name === t)?.rows ?? 0)])
  )
}

/** The long view: each instance's latest sample written to <db>.hub_heartbeats. */
export function historyWriter(clickhouse: ClickHouseClient, database: string) {
  const written = new Map<string, number>()
  return async (instances: InstanceView[]): Promise<void> => {
    const lines: string[] = []
    for (const i of instances) {
      for (const sample of i.history) {
        if (sample.at <= (written.get(i.instanceId) ?? 0)) continue
        lines.push(
          JSON.stringify({
            instance_id: i.instanceId,
            role: i.role,
            ts: sample.at,
            messages_per_second: sample.messagesPerSecond,
            buffered: sample.buffered,
            insert_latency_ms: sample.insertLatencyMs,
            paused: sample.paused ? 1 : 0,
            partitions: i.lastHeartbeat.partitions.length,
            inserted: Object.values(i.lastHeartbeat.inserted).reduce((a, b) => a + b, 0),
            errors: i.lastHeartbeat.errors
          })
        )
      }
      const latest = i.history.at(-1)
      if (latest) written.set(i.instanceId, latest.at)
    }
    if (lines.length === 0) return
    const result = await clickhouse.exec({
      query: `INSERT INTO ${database}.hub_heartbeats FORMAT JSONEachRow`,
      values: Readable.from([Buffer.from(lines.join('\n'))])
    })
    result.stream.resume()
    await finished(result.stream)
  }
}
