import type { Command } from 'commander'
import { startFeed, type FeedOptions } from '../../feed/run.ts'
import { ErrorCodes, TickbridgeError } from '../../errors.ts'
import { cliContext } from '../context.ts'

const WALLEX_URLS = { 1: 'wss://api.wallex.ir/ws', 2: 'wss://api.wallex.ir/connection/websocket' } as const

interface FeedFlags {
  exchange: string
  symbols: string
  protocol: string
  cluster: string
  url?: string
  restUrl: string
  depthInterval: string
  nats?: string | true
  instanceId?: string
}

/** `tickbridge feed --exchange wallex --symbols BTCUSDT,ETHUSDT`: one exchange connection producing to Kafka. */
export function registerFeedCommand(program: Command): void {
  program
    .command('feed')
    .description(
      'connect to an exchange WebSocket and produce canonical messages to Kafka (SIGTERM flushes and exits)'
    )
    .requiredOption('-e, --exchange <name>', 'wallex | polygon | binance')
    .requiredOption(
      '-s, --symbols <list>',
      'wallex: symbols, e.g. BTCUSDT,ETHUSDT; polygon: subscriptions, e.g. XT.BTC-USD,XQ.BTC-USD,XA.*'
    )
    .option('--protocol <n>', 'Wallex socket generation: 1 (/ws) or 2 (Centrifugo)', '1')
    .option('--cluster <name>', 'Polygon cluster: crypto | forex | stocks', 'crypto')
    .option('--url <url>', 'override the exchange URL (e.g. a local simulator)')
    .option('--rest-url <url>', 'Binance: REST base for depth snapshots', 'https://api.binance.com')
    .option(
      '--depth-interval <ms>',
      'Wallex and Binance: at most one depth snapshot per symbol per this many ms',
      '7000'
    )
    .option(
      '--nats [url]',
      'also publish to NATS as market.<type>.<exchange>.<symbol> (default nats://127.0.0.1:4222)'
    )
    .option(
      '--instance-id <id>',
      "this feed's id in heartbeats, metrics and its spool directory (default tickbridge-feed-<exchange>-<INSTANCE_ORDINAL>)"
    )
    .action(async (flags: FeedFlags) => {
      const { config, log } = cliContext()
      const list = flags.symbols
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
      const common = {
        ...(flags.nats ? { natsUrl: flags.nats === true ? 'nats://127.0.0.1:4222' : flags.nats } : {}),
        instanceId: flags.instanceId ?? `tickbridge-feed-${flags.exchange}-${config.feed.ordinal}`,
        statsIntervalMs: config.feed.statsIntervalMs
      }
      let options: FeedOptions
      if (flags.exchange === 'wallex') {
        const protocol = flags.protocol === '2' ? 2 : 1
        options = {
          ...common,
          exchange: 'wallex',
          url: flags.url ?? WALLEX_URLS[protocol],
          protocol,
          symbols: list.map((s) => s.toUpperCase()),
          depthIntervalMs: Number(flags.depthInterval)
        }
      } else if (flags.exchange === 'polygon') {
        if (!config.feed.polygonApiKey) {
          throw new TickbridgeError(ErrorCodes.CONFIG_INVALID, 'POLYGON_API_KEY is not set', {
            hint: 'Export POLYGON_API_KEY (or put it in .env) with your Polygon/Massive API key.'
          })
        }
        options = {
          ...common,
          exchange: 'polygon',
          url: flags.url ?? `wss://socket.massive.com/${flags.cluster}`,
          apiKey: config.feed.polygonApiKey,
          subscriptions: list
        }
      } else if (flags.exchange === 'binance') {
        options = {
          ...common,
          exchange: 'binance',
          url: flags.url ?? 'wss://stream.binance.com:9443',
          restUrl: flags.restUrl,
          symbols: list.map((s) => s.toUpperCase()),
          depthIntervalMs: Number(flags.depthInterval)
        }
      } else {
        throw new TickbridgeError(ErrorCodes.COMMAND_FAILED, `unsupported exchange "${flags.exchange}"`, {
          hint: 'Supported: wallex, polygon, binance. See docs/adding-an-exchange.md to add one.'
        })
      }
      const feed = await startFeed(config, options, log)
      await new Promise<void>(() => {
        const onSignal = () => void feed.stop().then(() => process.exit(0))
        process.once('SIGTERM', onSignal).once('SIGINT', onSignal)
        // Never alive and idle: Kafka refusing the feed for good stops it (its queue is spooled), exit code 2.
        void feed.fatal.then(async () => {
          await feed.stop()
          process.exit(2)
        })
      })
    })
}
