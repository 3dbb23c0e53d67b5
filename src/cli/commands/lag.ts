import type { Command } from 'commander'
import { bridgeTopics } from '../../bridge/run.ts'
import type { Config } from '../../config/load.ts'
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

export interface LagReport {
  groupId: string
  state: string
  partitions: LagRow[]
  totalLag: number
}

/** `tickbridge lag`: per partition of the bridge topics, committed and end offsets, lag and owner. */
export function registerLagCommand(program: Command): void {
  program
    .command('lag')
    .description('consumer lag of the bridge group per topic partition, with the instance that owns each')
    .option('-g, --group <id>', 'consumer group (default: BRIDGE_GROUP_ID)')
    .option('--json', 'print JSON')
    .action(async (options: { group?: string; json?: boolean }) => {
      const { config } = cliContext()
      const report = await consumerLag(config, options.group ?? config.bridge.groupId)
      printResult(report, options.json === true, () => describe(report))
    })
}

export async function consumerLag(config: Config, groupId: string): Promise<LagReport> {
  const admin = createAdmin(config.kafka)
  try {
    const [lag, assignment] = await Promise.all([
      groupLag(admin, groupId, bridgeTopics(config)),
      describeGroupAssignment(admin, groupId)
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
      groupId,
      state: assignment.state,
      partitions,
      totalLag: partitions.reduce((sum, p) => sum + p.lag, 0)
    }
  } catch (error) {
    throw new TickbridgeError(
      ErrorCodes.KAFKA_UNAVAILABLE,
      `cannot read the lag of ${groupId}: ${describeError(error)}`,
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

function describe(report: LagReport): string {
  const rows = report.partitions.map((p) => ({ ...p }))
  const owners = new Set(report.partitions.flatMap((p) => (p.owner ? [p.owner] : [])))
  return [
    formatTable([...rows, { topic: 'TOTAL', lag: report.totalLag }]),
    '',
    `group ${report.groupId}: ${report.state}, ${owners.size} instance(s) own partitions, total lag ${report.totalLag}`
  ].join('\n')
}
