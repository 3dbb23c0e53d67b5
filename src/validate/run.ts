import { bridgeTopics } from '../bridge/run.ts'
import { createSchemaClickHouse } from '../clickhouse/client.ts'
import type { Config } from '../config/types.ts'
import type { InstanceView } from '../core/instance-registry.ts'
import { ALL_POOL } from '../core/pools.ts'
import { createAdmin } from '../kafka/clients.ts'
import type { GroupMemberAssignment } from '../kafka/group.ts'
import { listLocalProcesses } from '../stack/local-processes.ts'
import { defaultHubUrl } from '../ops/snapshot.ts'
import { resolveHubToken } from '../telemetry/hub-token.ts'
import { backpressureProbe } from './backpressure-probe.ts'
import {
  checkCoverage,
  checkDistribution,
  checkHeartbeats,
  checkInstances,
  checkPartitions,
  perPool,
  type CheckResult
} from './checks.ts'
import {
  duplicatesProbe,
  failoverProbe,
  groupMembers,
  hubBridges,
  messageDeltas,
  type PoolUnderTest
} from './probes.ts'

export interface ValidateOptions {
  /** Expected bridges; default: those alive in the hub. */
  instances?: number
  windowMs: number
  failoverTimeoutMs: number
  skipFailover: boolean
  skipBackpressure: boolean
  hubUrl?: string
}

/** Runs every check in the seed's order; a check that cannot run says why instead of passing. */
export async function runValidation(
  config: Config,
  options: ValidateOptions,
  progress: (line: string) => void
): Promise<CheckResult[]> {
  const hubUrl = options.hubUrl ?? (config.hub.url || defaultHubUrl(config))
  const topics = bridgeTopics(config)
  const admin = createAdmin(config.kafka)
  // The duplicates probe (its only user) creates and drops a scratch table, ON CLUSTER on a cluster.
  const clickhouse = createSchemaClickHouse(config.clickhouse)
  const results: CheckResult[] = []
  const record = (r: CheckResult) => {
    results.push(r)
    progress(`${r.result.toUpperCase().padEnd(4)} ${r.check}: ${r.evidence}`)
  }
  // A probe that throws fails its own check with the reason; the others still run.
  const attempt = async (check: string, probe: () => Promise<CheckResult>) =>
    record(
      await probe().catch((error: unknown): CheckResult => ({
        check,
        result: 'fail',
        evidence: (error as Error).message.split('\n')[0] ?? ''
      }))
    )
  try {
    const bridges = await hubBridges(hubUrl).catch((error: unknown) => {
      record({
        check: 'hub',
        result: 'fail',
        evidence: `not reachable at ${hubUrl}: ${(error as Error).message}`
      })
      return null
    })
    const pools = poolsUnderTest(config, bridges ?? [])
    const pooled = pools.some((p) => p.pool !== ALL_POOL)
    progress(
      `validating against the hub at ${hubUrl} and ${pooled ? `the groups ${pools.map((p) => `${p.group} (pool ${p.pool})`).join(', ')}` : `group ${config.bridge.groupId}`} ...`
    )
    const members = new Map<string, GroupMemberAssignment[]>()
    for (const pool of pools) members.set(pool.pool, await groupMembers(admin, pool.group))
    const membersOf = (pool: PoolUnderTest) => members.get(pool.pool) ?? []
    const bridgesOf = (pool: PoolUnderTest) => (bridges ?? []).filter((b) => poolOf(b) === pool.pool)
    const needsHub = (check: string): CheckResult => ({
      check,
      result: 'skip',
      evidence: `needs the hub (not reachable at ${hubUrl})`
    })
    if (bridges) {
      const instances = perPool(
        'instances',
        pools.map((pool) => {
          const alive = bridgesOf(pool).filter((b) => b.state === 'alive').length
          // --instances is the total: one pool's expectation only when there is one pool.
          const expected = pools.length === 1 ? (options.instances ?? alive) : alive
          return { pool: pool.pool, result: checkInstances(expected, bridgesOf(pool), membersOf(pool)) }
        })
      )
      const alive = bridges.filter((b) => b.state === 'alive').length
      record(
        pooled && options.instances !== undefined && alive !== options.instances
          ? {
              ...instances,
              result: 'fail',
              evidence: `${alive} alive over every pool, expected ${options.instances} | ${instances.evidence}`
            }
          : instances
      )
    } else record(needsHub('instances'))
    if (pooled) record(checkCoverage(pools, topics))
    record(
      perPool(
        'partitions',
        pools.map((pool) => ({
          pool: pool.pool,
          result: checkPartitions(membersOf(pool), pool.topics, config.topics.partitions)
        }))
      )
    )
    if (bridges) {
      progress(`measuring message distribution for ${options.windowMs / 1000} s ...`)
      const deltas = await messageDeltas(hubUrl, options.windowMs)
      record(
        perPool(
          'distribution',
          pools.map((pool) => {
            const owners = new Set(
              membersOf(pool)
                .filter((m) => m.partitions.length > 0)
                .map((m) => m.instanceId)
            )
            return { pool: pool.pool, result: checkDistribution(deltas, owners) }
          })
        )
      )
      record(
        checkHeartbeats(
          pools.flatMap((pool) => membersOf(pool)),
          await hubBridges(hubUrl),
          Date.now(),
          config.hub.deadAfterMs
        )
      )
    } else {
      record(needsHub('distribution'))
      record(needsHub('heartbeats'))
    }
    // Failover in the pool with the most local bridges (one pool is enough to show it; each is its own group).
    const failoverPool =
      [...pools].sort(
        (a, b) =>
          listLocalProcesses(config, 'bridge', b.pool).length -
          listLocalProcesses(config, 'bridge', a.pool).length
      )[0] ?? pools[0]
    await attempt('failover', async () =>
      options.skipFailover || !failoverPool
        ? { check: 'failover', result: 'skip', evidence: 'skipped (--skip-failover)' }
        : failoverProbe(config, admin, failoverPool, options.failoverTimeoutMs, progress)
    )
    await attempt('duplicates', () => duplicatesProbe(clickhouse, config.clickhouse))
    await attempt('backpressure', async () =>
      options.skipBackpressure || !bridges
        ? {
            check: 'backpressure',
            result: 'skip',
            evidence: bridges ? 'skipped (--skip-backpressure)' : `needs the hub (not reachable at ${hubUrl})`
          }
        : backpressureProbe(hubUrl, resolveHubToken(config), pools)
    )
    return results
  } finally {
    await admin.close().catch(() => undefined)
    await clickhouse.close()
  }
}

const poolOf = (bridge: InstanceView): string => bridge.lastHeartbeat.pool?.name ?? ALL_POOL

/**
 * The worker pools to validate: those of the bridges the hub knows (alive or dead), each with its group and
 * topics; bridges that report no pool, or none known at all, are the pool `all` (BRIDGE_GROUP_ID, every topic).
 */
function poolsUnderTest(config: Config, bridges: InstanceView[]): PoolUnderTest[] {
  const all = { pool: ALL_POOL, group: config.bridge.groupId, topics: bridgeTopics(config) }
  const pools = new Map<string, PoolUnderTest>()
  for (const b of bridges) {
    const pool = b.lastHeartbeat.pool
    const entry = pool ? { pool: pool.name, group: pool.group, topics: pool.topics } : all
    if (!pools.has(entry.pool)) pools.set(entry.pool, entry)
  }
  if (pools.size === 0) pools.set(ALL_POOL, all)
  return [...pools.values()].sort((a, b) => a.pool.localeCompare(b.pool))
}
