import { setTimeout as sleep } from 'node:timers/promises'
import type { Command } from 'commander'
import { healthChecks } from '../../ops/health.ts'
import { clusterLine, instanceRows } from '../../ops/format.ts'
import { opsSnapshot, type OpsSnapshot } from '../../ops/snapshot.ts'
import { wholeNumber } from '../arguments.ts'
import { cliContext } from '../context.ts'
import { formatTable, printResult } from '../output.ts'

function stackLine(snapshot: OpsSnapshot): string {
  return snapshot.stack
    .map((c) => `${c.name} ${c.healthy ? 'healthy' : 'DOWN'} (${c.endpoint})`)
    .concat(`hub ${snapshot.hub.reachable ? 'up' : 'DOWN'} (${snapshot.hub.url})`)
    .join('  |  ')
}

function statusText(snapshot: OpsSnapshot): string {
  return [stackLine(snapshot), '', formatTable(instanceRows(snapshot)), '', clusterLine(snapshot)].join('\n')
}

/** `tickbridge status`, `tickbridge health` and `tickbridge monitor`: what runs and how it is doing. */
export function registerStatusCommands(program: Command): void {
  program
    .command('status')
    .description('every process: role, instance id, state, readiness, rate, partitions, lag (from the hub)')
    .option('--hub <url>', 'hub URL (default HUB_URL)')
    .option('--json', 'print JSON')
    .action(async (options: { hub?: string; json?: boolean }) => {
      const snapshot = await opsSnapshot(cliContext().config, options.hub)
      printResult(snapshot, options.json === true, () => statusText(snapshot))
    })

  program
    .command('health')
    .description('stack, hub and every instance: pass/fail each; exit code 1 when anything is unhealthy')
    .option('--hub <url>', 'hub URL (default HUB_URL)')
    .option('--json', 'print JSON')
    .action(async (options: { hub?: string; json?: boolean }) => {
      const checks = healthChecks(await opsSnapshot(cliContext().config, options.hub))
      const healthy = checks.every((c) => c.ok)
      printResult(
        { healthy, checks },
        options.json === true,
        () =>
          `${formatTable(checks.map((c) => ({ check: c.check, result: c.ok ? 'ok' : 'FAIL', detail: c.detail })))}\n\n${healthy ? 'healthy' : 'UNHEALTHY'}`
      )
      if (!healthy) process.exitCode = 1
    })

  program
    .command('monitor')
    .description('live terminal view of the pipeline, refreshing in place (Ctrl-C quits)')
    .option('--hub <url>', 'hub URL (default HUB_URL)')
    .option('--interval <ms>', 'refresh interval', wholeNumber('--interval', 1), 1000)
    .option(
      '--iterations <n>',
      'stop after this many refreshes (default: until Ctrl-C)',
      wholeNumber('--iterations', 1)
    )
    .action(async (options: { hub?: string; interval: number; iterations?: number }) => {
      const { config } = cliContext()
      const stop = new AbortController()
      process.once('SIGINT', () => stop.abort())
      const limit = options.iterations ?? Number.POSITIVE_INFINITY
      const tty = process.stdout.isTTY
      for (let i = 0; i < limit && !stop.signal.aborted; i++) {
        const snapshot = await opsSnapshot(config, options.hub)
        const screen = `tickbridge monitor  ${new Date(snapshot.at).toISOString().slice(11, 19)}  (Ctrl-C quits)\n\n${statusText(snapshot)}\n`
        process.stdout.write(tty ? `\x1b[H\x1b[2J${screen}` : `${screen}\n`)
        if (i + 1 < limit)
          await sleep(options.interval, undefined, { signal: stop.signal }).catch(() => undefined)
      }
    })
}
