import { Command } from 'commander'
import { printError } from './output.ts'
import { kafkaSecurityError } from '../kafka/security.ts'
import { kafkaLibrary } from '../kafka/library.ts'

/**
 * Commands that never make a Kafka client skip loading the client library (~0.5 CPU-s: kafka/library.ts);
 * help never runs an action, so it skips it too. Every other command loads it just before its action, before it
 * starts anything timed: loaded on its first client instead, it stalled the event loop mid-command (a `health`
 * check's 1 s ClickHouse ping timed out while Kafka loaded).
 */
const WITHOUT_KAFKA = new Set(['query', 'candles', 'logs'])

type Register = (program: Command) => void

/**
 * Each command's module, loaded only for the command that runs: a bridge or a feed no longer loads the
 * simulator, the hub, the NATS client or the other commands (~0.2 CPU-s of a bridge's start, which a drain of
 * 1M messages counts at 0.2 µs per message, docs/benchmarks.md). Help and unknown commands load them all, in
 * this order (the order of `tickbridge --help`).
 */
const COMMANDS: ReadonlyArray<[names: string[], load: () => Promise<Register>]> = [
  [['stack'], async () => (await import('./commands/stack.ts')).registerStackCommands],
  [
    ['migrate', 'topics', 'sim'],
    async () => (await import('./commands/pipeline.ts')).registerPipelineCommands
  ],
  [['bridge'], async () => (await import('./commands/bridge.ts')).registerBridgeCommand],
  [['feed'], async () => (await import('./commands/feed.ts')).registerFeedCommand],
  [['hub'], async () => (await import('./commands/hub.ts')).registerHubCommand],
  [
    ['status', 'health', 'monitor'],
    async () => (await import('./commands/status.ts')).registerStatusCommands
  ],
  [['validate'], async () => (await import('./commands/validate.ts')).registerValidateCommand],
  [
    ['start', 'stop', 'restart'],
    async () => (await import('./commands/start.ts')).registerPipelineControlCommands
  ],
  [['scale'], async () => (await import('./commands/scale.ts')).registerScaleCommand],
  [['kafka'], async () => (await import('./commands/kafka-tool.ts')).registerKafkaToolCommand],
  [['query'], async () => (await import('./commands/query.ts')).registerQueryCommand],
  [['candles'], async () => (await import('./commands/candles.ts')).registerCandlesCommand],
  [['lag'], async () => (await import('./commands/lag.ts')).registerLagCommand],
  [['reset'], async () => (await import('./commands/reset.ts')).registerResetCommands],
  [['logs'], async () => (await import('./commands/logs.ts')).registerLogsCommand],
  [['loadtest'], async () => (await import('./commands/loadtest.ts')).registerLoadTestCommand],
  [['replay'], async () => (await import('./commands/replay.ts')).registerReplayCommand]
]

/** The register functions `args` needs: its command's alone, or all of them (help, no or an unknown command). */
async function commandsFor(args: readonly string[]): Promise<Register[]> {
  const [first] = args
  const known = first === undefined ? undefined : COMMANDS.find(([names]) => names.includes(first))
  return Promise.all((known ? [known] : COMMANDS).map(([, load]) => load()))
}

const program = new Command()
program
  .name('tickbridge')
  .description('Real-time market data: exchange feeds -> Apache Kafka -> ClickHouse')
  .showHelpAfterError()
  .hook('preAction', (_program, action) => {
    let command = action
    while (command.parent && command.parent !== program) command = command.parent
    if (!WITHOUT_KAFKA.has(command.name())) kafkaLibrary()
  })

for (const register of await commandsFor(process.argv.slice(2))) register(program)

try {
  await program.parseAsync(process.argv)
} catch (error) {
  // Whichever command hit it, a refused Kafka login or certificate prints as the error naming the settings.
  printError(kafkaSecurityError(error) ?? error)
  process.exitCode = 1
}
