import type { Command } from 'commander'
import { runValidation } from '../../validate/run.ts'
import { wholeNumber } from '../arguments.ts'
import { cliContext, progress } from '../context.ts'
import { formatTable, printResult } from '../output.ts'

/** `tickbridge validate`: the scaling validation guide as automated checks, with evidence; exit 1 on failure. */
export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description(
      'check the running pipeline: instances, partition balance, distribution, heartbeats, failover, duplicates, backpressure (exit 1 when a check fails)'
    )
    .option(
      '--instances <n>',
      'expected bridge instances (default: those alive in the hub)',
      wholeNumber('--instances', 1)
    )
    .option('--window <seconds>', 'how long to measure message distribution', wholeNumber('--window', 1), 10)
    .option(
      '--failover-timeout <seconds>',
      'how long failover may take each way',
      wholeNumber('--failover-timeout', 1),
      30
    )
    .option('--skip-failover', 'do not stop and restart a bridge')
    .option('--skip-backpressure', 'do not pause the cluster with a probe')
    .option('--hub <url>', 'hub URL (default HUB_URL)')
    .option('--json', 'print JSON')
    .action(
      async (options: {
        instances?: number
        window: number
        failoverTimeout: number
        skipFailover?: boolean
        skipBackpressure?: boolean
        hub?: string
        json?: boolean
      }) => {
        const results = await runValidation(
          cliContext().config,
          {
            ...(options.instances ? { instances: options.instances } : {}),
            windowMs: options.window * 1000,
            failoverTimeoutMs: options.failoverTimeout * 1000,
            skipFailover: options.skipFailover === true,
            skipBackpressure: options.skipBackpressure === true,
            ...(options.hub ? { hubUrl: options.hub } : {})
          },
          progress
        )
        const failed = results.filter((r) => r.result === 'fail')
        printResult(
          { passed: failed.length === 0, results },
          options.json === true,
          () =>
            `${formatTable(results.map((r) => ({ check: r.check, result: r.result.toUpperCase(), evidence: r.evidence })))}\n\n${
              failed.length ? `FAILED: ${failed.map((r) => r.check).join(', ')}` : 'all checks passed'
            }`
        )
        if (failed.length) process.exitCode = 1
      }
    )
}
