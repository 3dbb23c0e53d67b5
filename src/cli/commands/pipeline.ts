import type { Command } from 'commander'
import { bridgeTopics, startBridge } from '../../bridge/run.ts'
import { createClickHouse } from '../../clickhouse/client.ts'
import { migrate } from '../../clickhouse/migrate.ts'
import { createAdmin, createProducer } from '../../kafka/clients.ts'
import { ensureTopics } from '../../kafka/topics.ts'
import { produceTrades } from '../../sim/kafka-load.ts'
import { DEFAULT_SYMBOLS } from '../../sim/market.ts'
import { cliContext } from '../context.ts'
import { runForeground } from './start.ts'

const positiveInt = (value: string): number => {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) throw new Error(`expected a positive integer, got "${value}"`)
  return n
}

export function registerPipelineCommands(program: Command): void {
  program
    .command('migrate')
    .description('apply the ClickHouse schema migrations (idempotent)')
    .action(async () => {
      const { config, log } = cliContext()
      const client = createClickHouse(config.clickhouse)
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
    .option('-r, --rate <msgPerSec>', 'messages per second', positiveInt, 1000)
    .option('-s, --symbols <list>', 'comma-separated symbols', DEFAULT_SYMBOLS.map((s) => s.symbol).join(','))
    .option('-e, --exchange <name>', 'exchange name in the messages', 'sim')
    .option('-n, --count <n>', 'stop after n messages', positiveInt)
    .option('-d, --duration <seconds>', 'stop after this many seconds', positiveInt)
    .option('--seed <n>', 'random seed (same seed, same prices and ids)', positiveInt)
    .action(
      async (options: {
        rate: number
        symbols: string
        exchange: string
        count?: number
        duration?: number
        seed?: number
      }) => {
        const { config, log } = cliContext()
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

  program
    .command('bridge')
    .description(
      'run one bridge worker in the foreground (consumer group member -> ClickHouse); SIGTERM drains and exits'
    )
    .action(async () => {
      const { config, log } = cliContext()
      const bridge = await startBridge(config, log)
      await new Promise<void>(() => {
        let signals = 0
        const onSignal = (signal: string) => {
          if (++signals > 1) {
            log.warn(`second ${signal}: exiting at once`)
            process.exit(130)
          }
          log.info(`${signal}: draining, committing and leaving the group`)
          void bridge.stop().then((drained) => {
            // Exit now: idle keep-alive sockets of the clients would otherwise hold the process for seconds.
            process.exit(drained ? 0 : 1)
          })
        }
        process.on('SIGTERM', onSignal).on('SIGINT', onSignal)
      })
    })

  program
    .command('start')
    .description(
      'the main job: local stack, schema, topics, a bridge and the simulator, printing what flows (Ctrl-C stops)'
    )
    .option('-r, --rate <msgPerSec>', 'simulated trades per second', positiveInt, 2000)
    .option('-d, --duration <seconds>', 'stop after this many seconds', positiveInt)
    .action(async (options: { rate: number; duration?: number }) => {
      await runForeground(cliContext(), options)
    })
}
