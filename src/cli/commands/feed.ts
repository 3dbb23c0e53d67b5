import type { Command } from 'commander'
import { startFeed } from '../../feed/run.ts'
import { ErrorCodes, TickbridgeError } from '../../errors.ts'
import { cliContext } from '../context.ts'

const WALLEX_URLS = { 1: 'wss://api.wallex.ir/ws', 2: 'wss://api.wallex.ir/connection/websocket' } as const

/** `tickbridge feed --exchange wallex --symbols BTCUSDT,ETHUSDT`: one exchange connection producing to Kafka. */
export function registerFeedCommand(program: Command): void {
  program
    .command('feed')
    .description(
      'connect to an exchange WebSocket and produce canonical messages to Kafka (SIGTERM flushes and exits)'
    )
    .requiredOption('-e, --exchange <name>', 'exchange: wallex')
    .requiredOption('-s, --symbols <list>', 'comma-separated symbols, e.g. BTCUSDT,ETHUSDT')
    .option('--protocol <n>', 'Wallex socket generation: 1 (/ws) or 2 (Centrifugo)', '1')
    .option('--url <url>', 'override the exchange URL (e.g. the local simulator)')
    .option('--depth-interval <ms>', 'at most one depth snapshot per symbol per this many ms', '7000')
    .action(
      async (options: {
        exchange: string
        symbols: string
        protocol: string
        url?: string
        depthInterval: string
      }) => {
        if (options.exchange !== 'wallex') {
          throw new TickbridgeError(ErrorCodes.COMMAND_FAILED, `unsupported exchange "${options.exchange}"`, {
            hint: 'Supported so far: wallex. Polygon and Binance connectors are planned (issue 4).'
          })
        }
        const protocol = options.protocol === '2' ? 2 : 1
        const { config, log } = cliContext()
        const feed = await startFeed(
          config,
          {
            exchange: 'wallex',
            url: options.url ?? WALLEX_URLS[protocol],
            protocol,
            symbols: options.symbols
              .split(',')
              .map((s) => s.trim().toUpperCase())
              .filter(Boolean),
            depthIntervalMs: Number(options.depthInterval),
            instanceId: `tickbridge-feed-wallex-${config.bridge.ordinal}`,
            statsIntervalMs: config.bridge.statsIntervalMs
          },
          log
        )
        await new Promise<void>(() => {
          const onSignal = () => void feed.stop().then(() => process.exit(0))
          process.once('SIGTERM', onSignal).once('SIGINT', onSignal)
        })
      }
    )
}
