import type { Admin } from '@platformatic/kafka'
import type { Command } from 'commander'
import { bridgeTopics } from '../../bridge/run.ts'
import type { Config } from '../../config/load.ts'
import { ALL_POOL, poolGroupId, topicsOfTypes, typesOfPoolName } from '../../core/pools.ts'
import { describeError, ErrorCodes, TickbridgeError } from '../../errors.ts'
import { createAdmin } from '../../kafka/clients.ts'
import { describeGroupAssignment } from '../../kafka/group.ts'
import { groupLag } from '../../kafka/lag.ts'
import { cliContext } from '../context.ts'
import { formatTable, printResult } from '../output.ts'

export interface LagRow {
  topic: string
  partition: number
  /** null: the group has committed nothing for this partition (Kafka's tool prints "-"). */
  committed: number | null
  end: number
  lag: number
  /** The instance that owns the partition now, null when no member does. */
  owner: string | null
}

/** One consumer group: a worker pool's (`all`: BRIDGE_GROUP_ID), or the one `--group` names. */
export interface LagReport {
  /** The worker pool whose group this is; null for a group given with --group that is no pool of ours. */
  pool: string | null
  groupId: string
  state: string
  partitions: LagRow[]
  totalLag: number
}

/** `lag --json` without --group: every pool's group, and the lag summed over them. */
export interface PoolsLagReport {
  groups: LagReport[]
  totalLag: number
}

/** A consumer group to report, with the topics its bridges consume. */
interface LagTarget {
  pool: string | null
  groupId: string
  topics: string[]
}

/** `tickbridge lag`: per worker pool's group and topic partition, committed and end offsets, lag and owner. */
export function registerLagCommand(program: Command): void {
  program
    .command('lag')
    .description(
      'consumer lag per topic partition, with the instance that owns each, for every worker pool (its own consumer group)'
    )
    .option('-g, --group <id>', 'only this consumer group (default: BRIDGE_GROUP_ID and its pools)')
    .option(
      '-p, --pool <name>',
      "only this worker pool's group (<BRIDGE_GROUP_ID>-<pool>; `all`: BRIDGE_GROUP_ID)"
    )
    .option('--json', 'print JSON (with --group or --pool: that group; else { groups: [...], totalLag })')
    .action(async (options: { group?: string; pool?: string; json?: boolean }) => {
      const { config } = cliContext()
      if (options.group !== undefined || options.pool !== undefined) {
        const target =
          options.group !== undefined
            ? targetOfGroup(config, options.group)
            : targetOfGroup(config, poolGroupId(config.bridge.groupId, options.pool ?? ALL_POOL))
        const [report] = await consumerLag(config, [target])
        if (report) printResult(report, options.json === true, () => describe(report))
        return
      }
      const groups = await consumerLag(config)
      const totalLag = groups.reduce((sum, g) => sum + g.totalLag, 0)
      printResult({ groups, totalLag } satisfies PoolsLagReport, options.json === true, () =>
        groups.length === 1 && groups[0]
          ? describe(groups[0])
          : [...groups.map(describe), `total lag ${totalLag} over ${groups.length} consumer groups`].join(
              '\n\n'
            )
      )
    })
}

/** A group by name: a pool of ours (`<BRIDGE_GROUP_ID>-<pool>`) with its pool's topics, else every bridge topic. */
function targetOfGroup(config: Config, groupId: string, topics?: string[]): LagTarget {
  const base = config.bridge.groupId
  if (groupId === base) return { pool: ALL_POOL, groupId, topics: bridgeTopics(config) }
  if (groupId.startsWith(`${base}-`)) {
    const pool = groupId.slice(base.length + 1)
    const types = typesOfPoolName(pool)
    return {
      pool,
      groupId,
      topics: types ? topicsOfTypes(config.topics, types) : (topics ?? bridgeTopics(config))
    }
  }
  return { pool: null, groupId, topics: topics ?? bridgeTopics(config) }
}

/**
 * The groups `lag` reports without --group: BRIDGE_GROUP_ID and every `<BRIDGE_GROUP_ID>-<pool>` Kafka knows
 * (with members or committed offsets); BRIDGE_GROUP_ID alone when there is none. A pool named by its types
 * reads those topics; another (`--pool mine --types …`) the bridge topics it has committed or been assigned.
 */
async function poolTargets(admin: Admin, config: Config): Promise<LagTarget[]> {
  const base = config.bridge.groupId
  const known = [...(await admin.listGroups()).keys()]
  const pools = known.filter((g) => g.startsWith(`${base}-`)).sort()
  const targets: LagTarget[] = []
  if (known.includes(base) || pools.length === 0) targets.push(targetOfGroup(config, base))
  for (const groupId of pools) {
    const target = targetOfGroup(config, groupId, [])
    if (target.topics.length === 0) target.topics = await consumedTopics(admin, config, groupId)
    targets.push(target)
  }
  return targets
}

/** The bridge topics a group has committed offsets for or is assigned; every bridge topic when none. */
async function consumedTopics(admin: Admin, config: Config, groupId: string): Promise<string[]> {
  const ours = bridgeTopics(config)
  const [offsets, assignment] = await Promise.all([
    admin.listConsumerGroupOffsets({ groups: [groupId] }),
    describeGroupAssignment(admin, groupId)
  ])
  const seen = new Set<string>()
  for (const group of offsets) for (const topic of group.topics) seen.add(topic.name)
  for (const member of assignment.members)
    for (const tp of member.partitions) seen.add(tp.slice(0, tp.lastIndexOf(':')))
  const consumed = ours.filter((t) => seen.has(t))
  return consumed.length ? consumed : ours
}

/** The lag of `targets` (default: every pool's group, see poolTargets). */
export async function consumerLag(config: Config, targets?: LagTarget[]): Promise<LagReport[]> {
  const admin = createAdmin(config.kafka)
  let current = targets?.[0]?.groupId ?? config.bridge.groupId
  try {
    const chosen = targets ?? (await poolTargets(admin, config))
    const reports: LagReport[] = []
    for (const target of chosen) {
      current = target.groupId
      reports.push(await groupReport(admin, target))
    }
    return reports
  } catch (error) {
    throw new TickbridgeError(
      ErrorCodes.KAFKA_UNAVAILABLE,
      `cannot read the lag of ${current}: ${describeError(error)}`,
      {
        cause: error,
        retriable: true,
        hint: 'Is Kafka up (`tickbridge stack status`) and do the topics exist (`tickbridge topics`)?'
      }
    )
  } finally {
    await admin.close()
  }
}

async function groupReport(admin: Admin, target: LagTarget): Promise<LagReport> {
  const [lag, assignment] = await Promise.all([
    groupLag(admin, target.groupId, target.topics),
    describeGroupAssignment(admin, target.groupId)
  ])
  const owners = new Map<string, string>()
  for (const member of assignment.members)
    for (const tp of member.partitions) owners.set(tp, member.instanceId)
  const partitions = lag.map((p) => ({
    topic: p.topic,
    partition: p.partition,
    committed: p.committed < 0n ? null : Number(p.committed),
    end: Number(p.end),
    lag: Number(p.lag),
    owner: owners.get(`${p.topic}:${p.partition}`) ?? null
  }))
  return {
    pool: target.pool,
    groupId: target.groupId,
    state: assignment.state,
    partitions,
    totalLag: partitions.reduce((sum, p) => sum + p.lag, 0)
  }
}

function describe(report: LagReport): string {
  const rows = report.partitions.map((p) => ({ ...p }))
  const owners = new Set(report.partitions.flatMap((p) => (p.owner ? [p.owner] : [])))
  const pool = report.pool && report.pool !== ALL_POOL ? `pool ${report.pool}, ` : ''
  return [
    formatTable([...rows, { topic: 'TOTAL', lag: report.totalLag }]),
    '',
    `${pool}group ${report.groupId}: ${report.state}, ${owners.size} instance(s) own partitions, total lag ${report.totalLag}`
  ].join('\n')
}
