import type { Command } from 'commander'
import { startBridge } from '../../bridge/run.ts'
import { parseSourceMode, type SourceMode } from '../../bridge/source-mode.ts'
import { InvalidPool, poolPresets, resolvePool } from '../../core/pools.ts'
import { parseArguments } from '../arguments.ts'
import { cliContext, stopThenExit } from '../context.ts'

export function registerBridgeCommand(program: Command): void {
  program
    .command('bridge')
    .description(
      'run one bridge worker in the foreground (consumer group member -> ClickHouse); SIGTERM drains and exits'
    )
    .option(
      '--types <list>',
      'consume only these message types (trade,depth,quote,candle), in the consumer group of their worker pool (BRIDGE_TYPES)'
    )
    .option(
      '--pool <name>',
      `worker pool (BRIDGE_POOL): ${Object.entries(poolPresets)
        .map(([name, types]) => `${name} = ${types.join('+')}`)
        .join(', ')}, or a name for --types; its group is <BRIDGE_GROUP_ID>-<pool>`
    )
    .option(
      '--source <where>',
      'read Kafka (the default), NATS JetStream (the live path: docs/nats.md), or both',
      parseSourceMode,
      'kafka'
    )
    .action(async (options: { types?: string; pool?: string; source: SourceMode }) => {
      const { config, log } = cliContext(poolSettings(options))
      const bridge = await startBridge(config, log, { source: options.source })
      await new Promise<void>(() => {
        let signals = 0
        const onSignal = (signal: string) => {
          if (++signals > 1) {
            log.warn(`second ${signal}: exiting at once`)
            process.exit(130)
          }
          log.info(`${signal}: draining, committing and leaving the group`)
          // Exit now: idle keep-alive sockets of the clients would otherwise hold the process for seconds.
          stopThenExit(
            () => bridge.stop(),
            log,
            (drained) => (drained ? 0 : 1)
          )
        }
        process.on('SIGTERM', onSignal).on('SIGINT', onSignal)
        // Never alive and idle: an unrecoverable Kafka (or NATS) error stops the bridge and exits non-zero for a
        // supervisor.
        void bridge.fatal.then((error) => {
          log.error({ err: error }, 'bridge exiting: refused for good (see the error above)')
          stopThenExit(
            () => bridge.stop(5_000),
            log,
            () => 2
          )
        })
      })
    })
}

/** `--types` and `--pool` as the variables they stand for, checked first so an error names the flag. */
function poolSettings(options: { types?: string; pool?: string }): Record<string, string> {
  if (options.types === undefined && options.pool === undefined) return {}
  parseArguments(() => {
    try {
      resolvePool({ types: options.types ?? '', name: options.pool ?? '' }, 'group')
    } catch (error) {
      if (error instanceof InvalidPool) throw new InvalidPool(`--types/--pool: ${error.message}`)
      throw error
    }
  }, 'e.g. tickbridge bridge --types trade,candle, or --pool trades | depth (see tickbridge bridge --help)')
  return {
    ...(options.types === undefined ? {} : { BRIDGE_TYPES: options.types }),
    ...(options.pool === undefined ? {} : { BRIDGE_POOL: options.pool })
  }
}
