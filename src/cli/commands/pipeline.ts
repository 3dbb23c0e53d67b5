import type { Command } from 'commander'
import { bridgeTopics } from '../../bridge/run.ts'
import { createSchemaClickHouse } from '../../clickhouse/client.ts'
import { migrate } from '../../clickhouse/migrate.ts'
import { createAdmin, createProducer } from '../../kafka/clients.ts'
import { ensureTopics } from '../../kafka/topics.ts'
import { produceTrades } from '../../sim/kafka-load.ts'
import { DEFAULT_SYMBOLS } from '../../sim/market.ts'
import { ErrorCodes, TickbridgeError } from '../../errors.ts'
import { localExchanges, localFeedArgs } from '../../sim/local-exchanges.ts'
import { simProtocols } from '../../sim/protocols/index.ts'
import { startSimServer } from '../../sim/server.ts'
import { wholeNumber } from '../arguments.ts'
import { cliContext } from '../context.ts'

const DEFAULT_SYMBOL_LIST = DEFAULT_SYMBOLS.map((s) => s.symbol).join(',')
/** What `sim --serve` can be: the registry's simulator protocols and the exchanges' local servers. */
const servable = () => [...Object.keys(simProtocols), ...Object.keys(localExchanges)]

export function registerPipelineCommands(program: Command): void {
  program
    .command('migrate')
    .description('apply the ClickHouse schema migrations (idempotent)')
    .action(async () => {
      const { config, log } = cliContext()
      const client = createSchemaClickHouse(config.clickhouse)
      try {
        const result = await migrate(client, config.clickhouse, log)
        console.log(
          `ClickHouse ${result.serverVersion}: ${result.applied.length ? `applied ${result.applied.join(', ')}` : 'schema up to date'}`
        )
      } finally {
        await client.close()
      }
    })

  program
    .command('topics')
    .description('create the market topics and the dead-letter topic where missing')
    .action(async () => {
      const { config } = cliContext()
      const admin = createAdmin(config.kafka)
      try {
        const created = await ensureTopics(
          admin,
          [...bridgeTopics(config), config.topics.dlq],
          config.topics.partitions
        )
        console.log(created.length ? `created ${created.join(', ')}` : 'all topics exist')
      } finally {
        await admin.close()
      }
    })

  program
    .command('sim')
    .description('produce simulated canonical trades to Kafka at a steady rate')
    .option('-r, --rate <msgPerSec>', 'messages per second', wholeNumber('--rate', 1), 1000)
    .option('-s, --symbols <list>', 'comma-separated symbols', DEFAULT_SYMBOL_LIST)
    .option('-e, --exchange <name>', 'exchange name in the messages', 'sim')
    .option('-n, --count <n>', 'stop after n messages', wholeNumber('--count', 1))
    .option('-d, --duration <seconds>', 'stop after this many seconds', wholeNumber('--duration', 1))
    .option('--seed <n>', 'random seed (same seed, same prices and ids)', wholeNumber('--seed', 1))
    .option(
      '--serve <protocol>',
      `instead of producing to Kafka, serve an exchange protocol for feeds: ${servable().join(' | ')}`
    )
    .option('--port <n>', 'port for --serve', wholeNumber('--port', 1), 8765)
    .option('--host <address>', 'with --serve: address to listen on', '127.0.0.1')
    .option(
      '--depth-every <ms>',
      'with --serve: the book (depth sides or quotes) every this many ms',
      wholeNumber('--depth-every', 1),
      1000
    )
    .option(
      '--aggregate-every <ms>',
      'with --serve polygon: minute aggregates every this many ms',
      wholeNumber('--aggregate-every', 1),
      60000
    )
    .option(
      '--silent-after <ms>',
      'with --serve: go silent after this many ms, socket open (fault mode)',
      wholeNumber('--silent-after', 1)
    )
    .option(
      '--drop-after <ms>',
      'with --serve: drop each connection after this many ms (fault mode)',
      wholeNumber('--drop-after', 1)
    )
    .option('--malformed <ratio>', 'with --serve: share of malformed frames (fault mode)', Number, 0)
    .option('--repeat <ratio>', 'with --serve: share of trade frames sent twice (fault mode)', Number, 0)
    .action(
      async (options: {
        rate: number
        symbols: string
        exchange: string
        count?: number
        duration?: number
        seed?: number
        serve?: string
        port: number
        depthEvery: number
        dropAfter?: number
        silentAfter?: number
        host: string
        aggregateEvery: number
        malformed: number
        repeat: number
      }) => {
        const { config, log } = cliContext()
        if (options.serve !== undefined) {
          const local = localExchanges[options.serve]
          if (local) {
            const symbols =
              options.symbols === DEFAULT_SYMBOL_LIST
                ? local.symbols
                : options.symbols
                    .split(',')
                    .map((symbol) => symbol.trim())
                    .filter(Boolean)
            const server = await local.start({
              port: options.port,
              host: options.host,
              symbols,
              seed: options.seed ?? 1,
              tradesPerSecond: options.rate
            })
            const feed = localFeedArgs(options.serve, options.host, options.port, symbols).join(' ')
            console.log(
              `serving ${options.serve} (WebSocket + REST) at ${server.url}\nconnect a feed: tickbridge feed ${feed}`
            )
            await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve))
            await server.close()
            process.exit(0)
          }
          const served = simProtocols[options.serve]
          if (!served) {
            throw new TickbridgeError(ErrorCodes.COMMAND_FAILED, `cannot serve "${options.serve}"`, {
              hint: `--serve takes one of: ${servable().join(', ')}`
            })
          }
          const server = await startSimServer(
            served.protocol,
            {
              port: options.port,
              host: options.host,
              tradesPerSecond: options.rate,
              bookEveryMs: options.depthEvery,
              aggregateEveryMs: options.aggregateEvery,
              seed: options.seed ?? 1,
              malformedRatio: options.malformed,
              repeatRatio: options.repeat,
              pingEveryMs: 25_000,
              ...(options.dropAfter === undefined ? {} : { dropAfterMs: options.dropAfter }),
              ...(options.silentAfter === undefined ? {} : { silentAfterMs: options.silentAfter })
            },
            log.child({ role: 'sim' })
          )
          console.log(
            `serving ${served.protocol.title} at ${server.url}\nconnect a feed: ${served.feedHint(server.url)}`
          )
          await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve))
          await server.close()
          process.exit(0) // frames still queued for slow clients must not hold the process
        }
        const admin = createAdmin(config.kafka)
        await ensureTopics(admin, [config.topics.trades], config.topics.partitions).finally(() =>
          admin.close()
        )
        const producer = createProducer(config.kafka, 'tickbridge-sim')
        const abort = new AbortController()
        const stop = () => abort.abort()
        process.once('SIGINT', stop).once('SIGTERM', stop)
        try {
          const sent = await produceTrades(
            producer,
            {
              topic: config.topics.trades,
              exchange: options.exchange,
              symbols: options.symbols
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean),
              rate: options.rate,
              seed: options.seed ?? Date.now() % 2 ** 31,
              signal: abort.signal,
              ...(options.count === undefined ? {} : { count: options.count }),
              ...(options.duration === undefined ? {} : { durationMs: options.duration * 1000 })
            },
            log.child({ role: 'sim' })
          )
          log.info({ sent, topic: config.topics.trades }, 'sim finished')
        } finally {
          await producer.close()
        }
      }
    )
}
