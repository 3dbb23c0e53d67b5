import { bridgeTopics } from '../bridge/run.ts'
import { createClickHouse } from '../clickhouse/client.ts'
import type { Config } from '../config/types.ts'
import { createAdmin } from '../kafka/clients.ts'
import { defaultHubUrl } from '../ops/snapshot.ts'
import { resolveHubToken } from '../telemetry/hub-token.ts'
import { backpressureProbe } from './backpressure-probe.ts'
import {
  checkDistribution,
  checkHeartbeats,
  checkInstances,
  checkPartitions,
  type CheckResult
} from './checks.ts'
import { duplicatesProbe, failoverProbe, groupMembers, hubBridges, messageDeltas } from './probes.ts'

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
  const clickhouse = createClickHouse(config.clickhouse)
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
    progress(`validating against the hub at ${hubUrl} and group ${config.bridge.groupId} ...`)
    const bridges = await hubBridges(hubUrl).catch((error: unknown) => {
      record({
        check: 'hub',
        result: 'fail',
        evidence: `not reachable at ${hubUrl}: ${(error as Error).message}`
      })
      return null
    })
    const members = await groupMembers(admin, config.bridge.groupId)
    const expected = options.instances ?? bridges?.filter((b) => b.state === 'alive').length ?? members.length
    const needsHub = (check: string): CheckResult => ({
      check,
      result: 'skip',
      evidence: `needs the hub (not reachable at ${hubUrl})`
    })
    record(bridges ? checkInstances(expected, bridges, members) : needsHub('instances'))
    record(checkPartitions(members, topics, config.topics.partitions))
    if (bridges) {
      progress(`measuring message distribution for ${options.windowMs / 1000} s ...`)
      const owners = new Set(members.filter((m) => m.partitions.length > 0).map((m) => m.instanceId))
      record(checkDistribution(await messageDeltas(hubUrl, options.windowMs), owners))
      record(checkHeartbeats(members, await hubBridges(hubUrl), Date.now(), config.hub.deadAfterMs))
    } else {
      record(needsHub('distribution'))
      record(needsHub('heartbeats'))
    }
    await attempt('failover', async () =>
      options.skipFailover
        ? { check: 'failover', result: 'skip', evidence: 'skipped (--skip-failover)' }
        : failoverProbe(config, admin, topics, options.failoverTimeoutMs, progress)
    )
    await attempt('duplicates', () => duplicatesProbe(clickhouse, config.clickhouse.database))
    await attempt('backpressure', async () =>
      options.skipBackpressure || !bridges
        ? {
            check: 'backpressure',
            result: 'skip',
            evidence: bridges ? 'skipped (--skip-backpressure)' : `needs the hub (not reachable at ${hubUrl})`
          }
        : backpressureProbe(hubUrl, resolveHubToken(config))
    )
    return results
  } finally {
    await admin.close().catch(() => undefined)
    await clickhouse.close()
  }
}
