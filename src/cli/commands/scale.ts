import { setTimeout as sleep } from 'node:timers/promises'
import type { Command } from 'commander'
import { createAdmin } from '../../kafka/clients.ts'
import { describeGroupAssignment, type GroupAssignmentReport } from '../../kafka/group.ts'
import { listLocalProcesses, scaleLocalBridges } from '../../stack/local-processes.ts'
import { wholeNumber } from '../arguments.ts'
import { cliContext, progress } from '../context.ts'
import { formatTable, printResult } from '../output.ts'
import { summarizePartitions } from '../../ops/format.ts'

/** `tickbridge scale N`: start or stop local bridge processes until N run, then report who owns which partitions. */
export function registerScaleCommand(program: Command): void {
  program
    .command('scale')
    .description(
      'start or stop local bridge processes to reach N (`scale 1` rolls back to one instance), then show the partition assignment'
    )
    .argument('<n>', 'number of bridge instances', wholeNumber('the number of bridges', 0))
    .option(
      '--timeout <seconds>',
      'how long to wait for the group to settle',
      wholeNumber('--timeout', 1),
      60
    )
    .option('--json', 'print JSON')
    .action(async (target: number, options: { timeout: number; json?: boolean }) => {
      const { config } = cliContext()
      const { started, stopped } = await scaleLocalBridges(config, target)
      for (const b of stopped) progress(`stopped tickbridge-bridge-${b.ordinal} (pid ${b.pid})`)
      for (const b of started) progress(`started tickbridge-bridge-${b.ordinal} (pid ${b.pid}), log ${b.log}`)
      const report = await waitForGroup(config.bridge.groupId, target, options.timeout * 1000)
      printResult(report, options.json === true, () => describe(report, config.topics.partitions))
      const settled = report.members.length === target
      if (!settled) {
        progress(
          `the group has ${report.members.length} members, expected ${target}; see the bridge logs in ${config.stack.home}/logs`
        )
        process.exitCode = 1
      }
    })

  async function waitForGroup(
    groupId: string,
    target: number,
    timeoutMs: number
  ): Promise<GroupAssignmentReport> {
    const { config } = cliContext()
    const admin = createAdmin(config.kafka)
    const deadline = Date.now() + timeoutMs
    let report: GroupAssignmentReport = { groupId, state: 'UNKNOWN', members: [] }
    try {
      while (Date.now() < deadline) {
        report = await describeGroupAssignment(admin, groupId).catch(() => report)
        const running = listLocalProcesses(config, 'bridge').length
        if (report.members.length === target && running === target && /stable|empty/i.test(report.state)) {
          if (
            target === 0 ||
            report.members.every((m) => m.partitions.length > 0 || target > config.topics.partitions)
          )
            break
        }
        await sleep(500)
      }
    } finally {
      await admin.close()
    }
    return report
  }
}

function describe(report: GroupAssignmentReport, partitionsPerTopic: number): string {
  const rows = report.members.map((m) => ({
    instance: m.instanceId,
    partitions: m.partitions.length,
    state: m.partitions.length === 0 ? 'idle (more instances than partitions)' : 'consuming',
    assigned: summarizePartitions(m.partitions)
  }))
  return `${formatTable(rows)}\n\ngroup ${report.groupId}: ${report.state}, ${report.members.length} instance(s), ${partitionsPerTopic} partitions per topic`
}
