import type { Command } from 'commander'
import { startHub } from '../../hub/run.ts'
import { hubTokenFile } from '../../telemetry/hub-token.ts'
import { wholeNumber } from '../arguments.ts'
import { cliContext, stopThenExit } from '../context.ts'

/** `tickbridge hub`: heartbeats, cluster backpressure, the JSON API, /metrics and the dashboard. */
export function registerHubCommand(program: Command): void {
  program
    .command('hub')
    .description(
      'run the central hub: heartbeats from every feed and bridge, coordinated backpressure, JSON API, /metrics and the live dashboard (SIGTERM stops it)'
    )
    .option('--port <n>', 'HTTP port (default HUB_PORT, 8700)', wholeNumber('--port', 0))
    .action(async (options: { port?: number }) => {
      const { config, log } = cliContext()
      const hub = await startHub(config, log, options.port ?? config.hub.port)
      log.info(
        config.hub.token
          ? 'heartbeats need HUB_TOKEN'
          : `heartbeats need the token in ${hubTokenFile(config)} (set HUB_TOKEN to share one across machines)`
      )
      await new Promise<void>(() => {
        const onSignal = () =>
          stopThenExit(
            () => hub.stop(),
            log,
            () => 0
          )
        process.once('SIGTERM', onSignal).once('SIGINT', onSignal)
      })
    })
}
