import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Admin } from '@platformatic/kafka'
import { detectCapabilities, type ClickHouseClient } from '../clickhouse/client.ts'
import { dropTableStatements } from '../clickhouse/cluster-ddl.ts'
import { tradesTable } from '../clickhouse/migrations.ts'
import type { ClickHouseConfig, Config } from '../config/types.ts'
import type { InstanceView } from '../core/instance-registry.ts'
import { ErrorCodes, TickbridgeError } from '../errors.ts'
import {
  describeGroupAssignment,
  type GroupAssignmentReport,
  type GroupMemberAssignment
} from '../kafka/group.ts'
import { groupLag, type PartitionLag } from '../kafka/lag.ts'
import { listLocalProcesses, startLocalProcess, stopLocalProcess } from '../stack/local-processes.ts'
import { checkDuplicates, checkPartitions, laggingPartitions, type CheckResult } from './checks.ts'

/** The IO side of `tickbridge validate`: gathering evidence from the hub, Kafka and ClickHouse. */
export async function hubBridges(hubUrl: string): Promise<InstanceView[]> {
  const response = await fetch(`${hubUrl}/api/instances`, { signal: AbortSignal.timeout(3_000) })
  if (!response.ok)
    throw new TickbridgeError(ErrorCodes.HUB_UNAVAILABLE, `the hub answered ${response.status}`, {
      retriable: true,
      hint: 'Is the hub running (`tickbridge start`, or `tickbridge hub`)? Check HUB_URL or --hub.'
    })
  return ((await response.json()) as InstanceView[]).filter((i) => i.role === 'bridge')
}

export async function groupMembers(admin: Admin, groupId: string): Promise<GroupMemberAssignment[]> {
  return (await describeGroupAssignment(admin, groupId)).members
}

const received = (i: InstanceView) => Object.values(i.lastHeartbeat.messages).reduce((a, b) => a + b, 0)

/** Messages each alive bridge received during the window, from the hub's cumulative counters. */
export async function messageDeltas(hubUrl: string, windowMs: number): Promise<Map<string, number>> {
  const before = new Map(
    (await hubBridges(hubUrl)).filter((i) => i.state === 'alive').map((i) => [i.instanceId, i])
  )
  await sleep(windowMs)
  const deltas = new Map<string, number>()
  for (const after of await hubBridges(hubUrl)) {
    const start = before.get(after.instanceId)
    if (after.state !== 'alive' || !start) continue
    deltas.set(
      after.instanceId,
      start.lastHeartbeat.pid === after.lastHeartbeat.pid
        ? received(after) - received(start)
        : received(after)
    )
  }
  return deltas
}

interface LagTotal {
  lag: number
  committed: number
  partitions: PartitionLag[]
}

async function totalLag(admin: Admin, groupId: string, topics: string[]): Promise<LagTotal> {
  const partitions = await groupLag(admin, groupId, topics)
  return {
    lag: partitions.reduce((sum, p) => sum + Number(p.lag), 0),
    committed: partitions.reduce((sum, p) => sum + Math.max(0, Number(p.committed)), 0),
    partitions
  }
}

async function until<T>(
  timeoutMs: number,
  probe: () => Promise<T>,
  done: (value: T) => boolean
): Promise<{ value: T | null; ok: boolean }> {
  const deadline = Date.now() + timeoutMs
  let value: T | null = null
  while (Date.now() < deadline) {
    value = await probe().catch(() => value)
    if (value !== null && done(value)) return { value, ok: true }
    await sleep(500)
  }
  return { value, ok: false }
}

/** "STABLE: bridge-1 8, bridge-2 8": the group as last seen, for the evidence of a failed wait. */
const groupLine = (report: GroupAssignmentReport | null) =>
  report
    ? `${report.state}: ${report.members.map((m) => `${m.instanceId} ${m.partitions.length}`).join(', ') || 'no members'}`
    : 'the group could not be described'

/** A worker pool as validate checks it: its consumer group and the topics its bridges consume. */
export interface PoolUnderTest {
  pool: string
  group: string
  topics: string[]
}

const LAG_BEFORE_MS = 5_000

/** The group's lag sampled every 500 ms for LAG_BEFORE_MS: its highest, and the last committed total. */
async function lagBefore(
  admin: Admin,
  groupId: string,
  topics: string[]
): Promise<{ highest: number; committed: number; partitions: PartitionLag[] }> {
  let last = await totalLag(admin, groupId, topics)
  let highest = last.lag
  for (const end = Date.now() + LAG_BEFORE_MS; Date.now() < end;) {
    await sleep(500)
    last = await totalLag(admin, groupId, topics).catch(() => last)
    highest = Math.max(highest, last.lag)
  }
  return { highest, committed: last.committed, partitions: last.partitions }
}

/**
 * In one worker pool (its consumer group): stops the highest-ordinal local bridge, waits for the others to take
 * every partition, starts it again, waits for the balanced assignment to come back, then checks that
 * consumption caught up (no loss: the group's committed offsets moved on and lag is back to where it was, or
 * below 1000). Where it was: the highest lag over LAG_BEFORE_MS, since lag rises and falls with each commit (on
 * a slow ClickHouse cluster between ~2,000 and ~8,000 at 600 msg/s): one sample at a low point made a bound the
 * healthy pipeline only met by chance.
 */
export async function failoverProbe(
  config: Config,
  admin: Admin,
  pool: PoolUnderTest,
  timeoutMs: number,
  progress: (line: string) => void
): Promise<CheckResult> {
  const skip = (evidence: string): CheckResult => ({ check: 'failover', result: 'skip', evidence })
  const { topics } = pool
  const local = listLocalProcesses(config, 'bridge', pool.pool)
  if (local.length < 2)
    return skip('needs at least 2 bridges in one pool run by this machine (`tickbridge scale N`)')
  const victim = local[local.length - 1]!
  const groupId = pool.group
  const before = await lagBefore(admin, groupId, topics)
  const expected = (await groupMembers(admin, groupId)).length
  progress(`failover: stopping ${victim.name} (pid ${victim.pid}) ...`)
  const stoppedAt = Date.now()
  await stopLocalProcess(victim)
  const balancedWith = (members: number) => (report: GroupAssignmentReport) =>
    report.members.length === members &&
    checkPartitions(report.members, topics, config.topics.partitions).result === 'pass'
  const describe = () => describeGroupAssignment(admin, groupId)
  const takenOver = await until(timeoutMs, describe, balancedWith(expected - 1))
  const takeoverS = ((Date.now() - stoppedAt) / 1000).toFixed(1)
  progress(`failover: starting ${victim.name} again ...`)
  startLocalProcess(config, { role: 'bridge', ordinal: victim.ordinal, pool: pool.pool })
  if (!takenOver.ok) {
    return {
      check: 'failover',
      result: 'fail',
      evidence: `partitions not redistributed to the remaining ${expected - 1} within ${timeoutMs / 1000} s (last seen ${groupLine(takenOver.value)})`
    }
  }
  const restartedAt = Date.now()
  const rebalanced = await until(timeoutMs, describe, balancedWith(expected))
  if (!rebalanced.ok) {
    return {
      check: 'failover',
      result: 'fail',
      evidence: `redistributed in ${takeoverS} s, but ${victim.name} did not get its partitions back within ${timeoutMs / 1000} s (last seen ${groupLine(rebalanced.value)})`
    }
  }
  const backS = ((Date.now() - restartedAt) / 1000).toFixed(1)
  const bound = Math.max(1000, before.highest)
  const caughtUp = await until(
    timeoutMs,
    () => totalLag(admin, groupId, topics),
    (now) => now.lag <= bound && now.committed > before.committed
  )
  const evidence = `${victim.name} stopped: partitions redistributed in ${takeoverS} s; back after restart in ${backS} s; lag up to ${before.highest} before`
  return caughtUp.ok && caughtUp.value
    ? {
        check: 'failover',
        result: 'pass',
        evidence: `${evidence}, ${caughtUp.value.lag} after (committed +${caughtUp.value.committed - before.committed})`
      }
    : {
        check: 'failover',
        result: 'fail',
        evidence:
          `${evidence}, did not catch up below ${bound} within ${timeoutMs / 1000} s` +
          (caughtUp.value
            ? ` (last seen: lag ${caughtUp.value.lag}, committed +${caughtUp.value.committed - before.committed};` +
              ` most behind: ${laggingPartitions(before.partitions, caughtUp.value.partitions)})`
            : '')
      }
}

/**
 * Same rows inserted twice into a scratch copy of the trades table: FINAL must show each once. On a cluster the
 * copy is sharded and replicated like `trades`, and the second insert is another block (the rows reversed), so
 * the replicas' block deduplication cannot hide a FINAL that fails across the cluster.
 */
export async function duplicatesProbe(
  clickhouse: ClickHouseClient,
  clickhouseConfig: Pick<ClickHouseConfig, 'database' | 'cluster' | 'retentionDays'>
): Promise<CheckResult> {
  const { database, cluster, retentionDays } = clickhouseConfig
  const name = `validate_dedup_${randomBytes(4).toString('hex')}`
  const table = `${database}.${name}`
  const ts = Date.now()
  // Decimals as bare JSON numbers: 18.16 rejects quoted decimals in JSONEachRow.
  const rows = [0, 1, 2].map(
    (n) =>
      `{"exchange":"validate","symbol":"DEDUPUSDT","id":"probe-${n}","price":100.5,"amount":1,"side":"buy","ts":${ts},"recv_ts":${ts}}`
  )
  // What the probe was doing, for an error that does not say (a timeout is only "Timeout error.").
  let step = 'creating its scratch table'
  try {
    const capabilities = await detectCapabilities(clickhouse)
    for (const query of tradesTable({ database, cluster, capabilities, retentionDays }, name))
      await clickhouse.command({ query })
    step = 'inserting its rows twice'
    for (const copy of [rows, [...rows].reverse()]) {
      await clickhouse.command({ query: `INSERT INTO ${table} FORMAT JSONEachRow ${copy.join('\n')}` })
    }
    step = 'counting them with FINAL'
    const result = await clickhouse.query({
      query: `SELECT count() AS n FROM ${table} FINAL`,
      format: 'JSONEachRow'
    })
    const [row] = await result.json<{ n: string | number }>()
    return checkDuplicates(rows.length * 2, rows.length, Number(row?.n ?? -1))
  } catch (error) {
    throw new Error(`${step} (${table}): ${(error as Error).message}`, { cause: error })
  } finally {
    for (const query of dropTableStatements(database, name, cluster))
      await clickhouse.command({ query }).catch(() => undefined)
  }
}
