import type { Command } from 'commander'
import { startFeed, type FeedOptions } from '../../feed/run.ts'
import { exchangeNames, exchangeOptionsFromFlags, exchanges } from '../../feed/exchanges/index.ts'
import { wholeNumber } from '../arguments.ts'
import { cliContext, stopThenExit } from '../context.ts'

interface FeedFlags {
  exchange: string
  symbols: string
  url?: string
  depthInterval: number
  nats?: string | true
  instanceId?: string
  [own: string]: string | number | true | undefined
}

/** `tickbridge feed --exchange wallex --symbols BTCUSDT,ETHUSDT`: one exchange connection producing to Kafka. */
export function registerFeedCommand(program: Command): void {
  const command = program
    .command('feed')
    .description(
      'connect to an exchange WebSocket and produce canonical messages to Kafka (SIGTERM flushes and exits)'
    )
    .requiredOption('-e, --exchange <name>', exchangeNames.join(' | '))
    .requiredOption(
      '-s, --symbols <list>',
      Object.entries(exchanges)
        .map(([name, exchange]) => `${name}: ${exchange.symbolsHelp}`)
        .join('; ')
    )
    .option('--url <url>', 'override the exchange URL (e.g. a local simulator)')
    .option(
      '--depth-interval <ms>',
      'at most one depth snapshot per symbol per this many ms',
      wholeNumber('--depth-interval', 1),
      7000
    )
    .option(
      '--nats [url]',
      "also publish to NATS as <NATS_SUBJECT_PREFIX, market>.<type>.<exchange>.<symbol> (default: NATS_URL, else the local stack's)"
    )
    .option(
      '--instance-id <id>',
      "this feed's id in heartbeats, metrics and its spool directory (default tickbridge-feed-<exchange>-<INSTANCE_ORDINAL>)"
    )
  for (const [name, exchange] of Object.entries(exchanges)) {
    for (const flag of exchange.flags)
      command.option(flag.flags, `${name}: ${flag.description}`, flag.default)
  }
  command.action(async (flags: FeedFlags) => {
    const { config, log } = cliContext()
    const own = Object.fromEntries(
      Object.entries(flags).filter((entry): entry is [string, string] => typeof entry[1] === 'string')
    )
    const exchange = exchangeOptionsFromFlags(
      flags.exchange,
      {
        symbols: flags.symbols
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        ...(flags.url ? { url: flags.url } : {}),
        depthIntervalMs: flags.depthInterval
      },
      own,
      config
    )
    const options: FeedOptions = {
      ...exchange,
      ...(flags.nats ? { natsUrl: flags.nats === true ? config.nats.url : flags.nats } : {}),
      instanceId: flags.instanceId ?? `tickbridge-feed-${exchange.exchange}-${config.feed.ordinal}`,
      statsIntervalMs: config.feed.statsIntervalMs
    }
    const feed = await startFeed(config, options, log)
    await new Promise<void>(() => {
      const onSignal = () =>
        stopThenExit(
          () => feed.stop(),
          log,
          () => 0
        )
      process.once('SIGTERM', onSignal).once('SIGINT', onSignal)
      // Never alive and idle: Kafka or the exchange refusing the feed for good stops it (its queue is
      // spooled), exit code 2.
      void feed.fatal.then((error) => {
        log.error({ err: error }, `feed exiting: ${error.message}`)
        stopThenExit(
          () => feed.stop(),
          log,
          () => 2
        )
      })
    })
  })
}
