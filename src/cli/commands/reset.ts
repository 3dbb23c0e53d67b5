import type { Command } from 'commander'
import { bridgeTopics } from '../../bridge/run.ts'
import { createSchemaClickHouse } from '../../clickhouse/client.ts'
import { truncateTableStatements } from '../../clickhouse/cluster-ddl.ts'
import type { Config } from '../../config/load.ts'
import { MARKET_TABLES, parseTimeArgument } from '../../core/market-query.ts'
import { ErrorCodes, TickbridgeError } from '../../errors.ts'
import { createAdmin } from '../../kafka/clients.ts'
import { describeGroupAssignment } from '../../kafka/group.ts'
import { resetGroupOffsets, type ResetTarget } from '../../kafka/offset-reset.ts'
import { parseArguments } from '../arguments.ts'
import { confirmOrRefuse } from '../confirm.ts'
import { cliContext, progress } from '../context.ts'
import { formatTable, printResult } from '../output.ts'

/** `tickbridge reset offsets|clickhouse`: start over, from Kafka's side or from ClickHouse's. */
export function registerResetCommands(program: Command): void {
  const reset = program
    .command('reset')
    .description('move the bridge group offsets, or empty the ClickHouse tables')

  reset
    .command('offsets')
    .description('move the committed offsets of the bridge group (only while no bridge runs)')
    .requiredOption('--to <target>', 'earliest, latest, or a time: ISO (2025-01-31T12:00:00Z), -1h, epoch ms')
    .option('-g, --group <id>', 'consumer group (default: BRIDGE_GROUP_ID)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print JSON')
    .action(async (options: { to: string; group?: string; yes?: boolean; json?: boolean }) => {
      const { config } = cliContext()
      const target = parseArguments(
        () => resetTarget(options.to, Date.now()),
        'Use --to earliest, latest or a time.'
      )
      const groupId = options.group ?? config.bridge.groupId
      const moves = await resetOffsets(config, groupId, target, options.yes === true)
      if (moves === null) return
      const rows = moves.map((m) => ({
        topic: m.topic,
        partition: m.partition,
        before: m.before < 0n ? null : Number(m.before),
        after: Number(m.after)
      }))
      printResult(
        { groupId, to: options.to, partitions: rows },
        options.json === true,
        () => `${formatTable(rows)}\n\ngroup ${groupId}: offsets moved to ${options.to}`
      )
    })

  reset
    .command('clickhouse')
    .description(`empty the tables ${MARKET_TABLES.join(', ')} of CLICKHOUSE_DATABASE`)
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (options: { yes?: boolean }) => {
      const { config } = cliContext()
      const database = config.clickhouse.database
      const go = await confirmOrRefuse(
        `delete every row of ${MARKET_TABLES.map((t) => `${database}.${t}`).join(', ')}`,
        {
          yes: options.yes === true,
          command: 'tickbridge reset clickhouse'
        }
      )
      if (!go) return progress('nothing changed')
      // TRUNCATE ... ON CLUSTER on a cluster: answered once every node ran it.
      const client = createSchemaClickHouse(config.clickhouse)
      try {
        for (const table of MARKET_TABLES)
          for (const query of truncateTableStatements(database, table, config.clickhouse.cluster))
            await client.command({ query })
      } finally {
        await client.close()
      }
      console.log(`emptied ${MARKET_TABLES.map((t) => `${database}.${t}`).join(', ')}`)
    })
}

function resetTarget(text: string, nowMs: number): ResetTarget {
  if (text === 'earliest' || text === 'latest') return { kind: text }
  return { kind: 'time', ms: parseTimeArgument(text, nowMs) }
}

/** null when the user said no. */
async function resetOffsets(config: Config, groupId: string, target: ResetTarget, yes: boolean) {
  const admin = createAdmin(config.kafka)
  try {
    const group = await describeGroupAssignment(admin, groupId)
    if (group.members.length > 0) {
      throw new TickbridgeError(
        ErrorCodes.GROUP_ACTIVE,
        `group ${groupId} has ${group.members.length} active member(s) (${group.members.map((m) => m.instanceId).join(', ')}); offsets can only move while nobody consumes`,
        {
          hint: 'Stop the bridges first: `tickbridge scale 0` (and any `tickbridge bridge` you started by hand).'
        }
      )
    }
    const go = await confirmOrRefuse(
      `move the offsets of group ${groupId} on ${bridgeTopics(config).join(', ')}`,
      {
        yes,
        command: 'tickbridge reset offsets'
      }
    )
    if (!go) {
      progress('nothing changed')
      return null
    }
    return await resetGroupOffsets(admin, groupId, bridgeTopics(config), target)
  } finally {
    await admin.close()
  }
}
