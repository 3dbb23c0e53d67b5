import { setTimeout as sleep } from 'node:timers/promises'
import type { Command } from 'commander'
import { parseSourceMode, type SourceMode } from '../../bridge/source-mode.ts'
import type { Config } from '../../config/types.ts'
import {
  ALL_POOL,
  layoutPresets,
  parseLayout,
  poolGroupId,
  poolPresets,
  type PoolTarget
} from '../../core/pools.ts'
import { createAdmin } from '../../kafka/clients.ts'
import { describeGroupAssignment, type GroupAssignmentReport } from '../../kafka/group.ts'
import { listLocalProcesses, scaleLocalBridges } from '../../stack/local-processes.ts'
import { parseArguments, wholeNumber } from '../arguments.ts'
import { cliContext, progress } from '../context.ts'
import { formatTable, printResult } from '../output.ts'
import { clusterSetting } from './stack.ts'
import { summarizePartitions } from '../../ops/format.ts'

/** One pool after `scale`: its target, its consumer group as Kafka describes it. */
export interface PoolScaleReport extends GroupAssignmentReport {
  pool: string
  types: string[]
  target: number
}

/**
 * `tickbridge scale N | <pool>=<n> ... | radar`: start or stop local bridge processes until the layout runs,
 * then report who owns which partitions in each pool's consumer group.
 */
export function registerScaleCommand(program: Command): void {
  program
    .command('scale')
    .description(
      'start or stop local bridge processes to reach N bridges of every type (`scale 1` rolls back to one ' +
        'instance), or a layout of worker pools (`scale trades=3 depth=2`, `scale radar`), then show the ' +
        'partition assignment'
    )
    .argument(
      '<layout...>',
      `N, or <pool>=<n> items (pools: ${Object.entries(poolPresets)
        .map(([name, types]) => `${name} = ${types.join('+')}`)
        .join(', ')}, or types joined by "+"), or ${Object.keys(layoutPresets).join(' | ')}`
    )
    .option(
      '--timeout <seconds>',
      'how long to wait for the groups to settle',
      wholeNumber('--timeout', 1),
      60
    )
    .option(
      '--source <where>',
      'where the bridges it starts read: kafka (default), nats or both (bridge --source); running ones are kept',
      parseSourceMode,
      'kafka'
    )
    .option('--cluster', 'bridges on the local cluster stack (TICKBRIDGE_CLUSTER), as `start --cluster`')
    .option('--json', 'print JSON (N: the group; a layout: { pools: [...] })')
    .action(
      async (
        items: string[],
        options: { timeout: number; source: SourceMode; json?: boolean; cluster?: boolean }
      ) => {
        const { config } = cliContext(clusterSetting(options))
        const targets = parseArguments(
          () => parseLayout(items),
          'e.g. tickbridge scale 3, tickbridge scale trades=3 depth=2, or tickbridge scale radar'
        )
        const plain = items.length === 1 && /^\s*\d+\s*$/.test(items[0] ?? '')
        const { started, stopped } = await scaleLocalBridges(config, targets, options.source)
        for (const b of stopped) progress(`stopped tickbridge-${b.name} (pid ${b.pid})`)
        for (const b of started) progress(`started tickbridge-${b.name} (pid ${b.pid}), log ${b.log}`)
        // Pools the layout stopped (the pool `all` and the others exclude each other) are reported at 0.
        const stoppedPools = [...new Set(stopped.map((b) => b.pool ?? ALL_POOL))].filter(
          (pool) => !targets.some((t) => t.name === pool)
        )
        const all: Pick<PoolTarget, 'name' | 'types' | 'count'>[] = [
          ...targets,
          ...stoppedPools.map((name) => ({ name, types: [], count: 0 }))
        ]
        if (options.source === 'nats') {
          // No consumer group to watch: NATS bridges share each type's durable consumer (docs/nats.md).
          const pools = all.map((t) => ({
            pool: t.name,
            types: t.types,
            target: t.count,
            running: listLocalProcesses(config, 'bridge', t.name).map((b) => b.name)
          }))
          printResult({ pools }, options.json === true, () =>
            pools
              .map(
                (p) =>
                  `pool ${p.pool}${p.types.length ? ` (${p.types.join(', ')})` : ''}: ${p.running.length} of ${p.target} bridge process(es) reading NATS${p.running.length ? `: ${p.running.join(', ')}` : ''}`
              )
              .join('\n')
          )
          if (pools.some((p) => p.running.length !== p.target)) process.exitCode = 1
          return
        }
        const reports = await waitForPools(config, all, options.timeout * 1000)
        if (plain && reports.length === 1 && reports[0]) {
          const [report] = reports
          const group: GroupAssignmentReport = {
            groupId: report.groupId,
            state: report.state,
            members: report.members
          }
          printResult(group, options.json === true, () => describeGroup(group, config.topics.partitions))
        } else {
          printResult({ pools: reports }, options.json === true, () =>
            reports.map((r) => describePool(r, config.topics.partitions)).join('\n\n')
          )
        }
        const unsettled = reports.filter((r) => r.members.length !== r.target)
        for (const r of unsettled) {
          progress(
            `pool ${r.pool}: the group has ${r.members.length} members, expected ${r.target}; see the bridge logs in ${config.stack.home}/logs`
          )
        }
        if (unsettled.length > 0) process.exitCode = 1
      }
    )
}

async function waitForPools(
  config: Config,
  targets: readonly Pick<PoolTarget, 'name' | 'types' | 'count'>[],
  timeoutMs: number
): Promise<PoolScaleReport[]> {
  const admin = createAdmin(config.kafka)
  const deadline = Date.now() + timeoutMs
  const reports = new Map<string, PoolScaleReport>(
    targets.map((t) => {
      const groupId = poolGroupId(config.bridge.groupId, t.name)
      return [
        t.name,
        { pool: t.name, types: t.types, target: t.count, groupId, state: 'UNKNOWN', members: [] }
      ]
    })
  )
  const settled = (report: PoolScaleReport) => {
    const running = listLocalProcesses(config, 'bridge', report.pool).length
    return (
      report.members.length === report.target &&
      running === report.target &&
      /stable|empty|dead/i.test(report.state) &&
      (report.target === 0 ||
        report.members.every((m) => m.partitions.length > 0 || report.target > config.topics.partitions))
    )
  }
  try {
    while (Date.now() < deadline) {
      for (const report of reports.values()) {
        const group = await describeGroupAssignment(admin, report.groupId).catch(() => null)
        if (group) reports.set(report.pool, { ...report, state: group.state, members: group.members })
      }
      if ([...reports.values()].every(settled)) break
      await sleep(500)
    }
  } finally {
    await admin.close()
  }
  return [...reports.values()]
}

function memberRows(report: GroupAssignmentReport) {
  return report.members.map((m) => ({
    instance: m.instanceId,
    partitions: m.partitions.length,
    state: m.partitions.length === 0 ? 'idle (more instances than partitions)' : 'consuming',
    assigned: summarizePartitions(m.partitions)
  }))
}

function describeGroup(report: GroupAssignmentReport, partitionsPerTopic: number): string {
  return `${formatTable(memberRows(report))}\n\ngroup ${report.groupId}: ${report.state}, ${report.members.length} instance(s), ${partitionsPerTopic} partitions per topic`
}

function describePool(report: PoolScaleReport, partitionsPerTopic: number): string {
  const types = report.types.length ? ` (${report.types.join(', ')})` : ''
  const table = report.members.length ? `${formatTable(memberRows(report))}\n` : ''
  return `${table}pool ${report.pool}${types}: ${report.members.length} of ${report.target} instance(s), group ${report.groupId}: ${report.state}, ${partitionsPerTopic} partitions per topic`
}
