import type { Command } from 'commander'
import { displayUrl } from '../../core/url-credentials.ts'
import { stackDown, stackStatus, stackUp, type ComponentStatus } from '../../stack/stack.ts'
import { wholeNumber } from '../arguments.ts'
import { cliContext, progress } from '../context.ts'
import { formatTable, printResult } from '../output.ts'
import { showLogs } from './logs.ts'
import { displayNatsUrl } from '../../nats/jetstream.ts'

function statusRows(components: ComponentStatus[]) {
  return components.map((c) => ({
    component: c.name,
    mode: c.mode,
    health: c.healthy ? 'healthy' : 'DOWN',
    pid: c.pid,
    endpoint: c.endpoint,
    version: c.version
  }))
}

/** `--cluster` sets TICKBRIDGE_CLUSTER for this command (the variable alone does the same). */
export function clusterSetting(options: { cluster?: boolean }): Record<string, string> | undefined {
  return options.cluster ? { TICKBRIDGE_CLUSTER: 'true' } : undefined
}

export function registerStackCommands(program: Command): void {
  const stack = program
    .command('stack')
    .description('the local single-node Kafka (KRaft) + ClickHouse + NATS (JetStream) stack')

  stack
    .command('up')
    .description(
      'provision and start Kafka, ClickHouse and NATS with JetStream (idempotent); waits until they accept requests'
    )
    .option('--cluster', 'the local cluster instead (TICKBRIDGE_CLUSTER): see docs/clusters.md')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean; cluster?: boolean }) => {
      const { config } = cliContext(clusterSetting(options))
      const status = await stackUp(config, progress)
      printResult(
        status,
        options.json === true,
        () =>
          `${formatTable(statusRows(status))}\n\nKafka:      ${config.kafka.brokers.join(',')}\nClickHouse: ${config.clickhouse.urls.map(displayUrl).join(',')}\nNATS:       ${displayNatsUrl(config.nats.url)}`
      )
      if (status.some((c) => !c.healthy)) process.exitCode = 1
    })

  stack
    .command('down')
    .description('stop what `stack up` started (and only that): the single node and the local cluster alike')
    .option('--cluster', 'accepted for symmetry with `stack up --cluster`: the cluster is stopped either way')
    .option('--purge', 'also delete all local stack data (Kafka logs, ClickHouse tables)')
    .action(async (options: { purge?: boolean; cluster?: boolean }) => {
      const { config } = cliContext(clusterSetting(options))
      const stopped = await stackDown(config, { purge: options.purge === true })
      console.log(stopped.length ? `stopped ${stopped.join(', ')}` : 'nothing of the local stack was running')
      if (options.purge) console.log(`removed ${config.stack.home}`)
    })

  stack
    .command('status')
    .description('what runs: pid, endpoint, version, health (exit 1 when something is down)')
    .option('--cluster', 'the local cluster instead (TICKBRIDGE_CLUSTER)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean; cluster?: boolean }) => {
      const status = await stackStatus(cliContext(clusterSetting(options)).config)
      printResult(status, options.json === true, () => formatTable(statusRows(status)))
      if (status.some((c) => !c.healthy)) process.exitCode = 1
    })

  stack
    .command('logs')
    .description('show the local Kafka / ClickHouse / NATS logs')
    .argument('[component]', 'kafka, clickhouse or nats (default: all)')
    .option('-n, --lines <n>', 'lines from the end', wholeNumber('--lines', 0), 50)
    .option('-f, --follow', 'keep printing new lines')
    .action((component: string | undefined, options: { lines: number; follow?: boolean }) =>
      showLogs(
        cliContext().config,
        component === 'kafka' || component === 'clickhouse' || component === 'nats'
          ? [component]
          : ['kafka', 'clickhouse', 'nats'],
        {
          lines: options.lines,
          follow: options.follow === true,
          raw: true
        }
      )
    )
}
