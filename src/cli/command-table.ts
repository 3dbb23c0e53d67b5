import type { Command } from 'commander'

export type Register = (program: Command) => void

/**
 * Each command's module, loaded only for the command that runs: a bridge or a feed no longer loads the
 * simulator, the hub, the NATS client or the other commands (~0.2 CPU-s of a bridge's start, which a drain of
 * 1M messages counts at 0.2 µs per message, docs/benchmarks.md). Help and unknown commands load them all, in
 * this order (the order of `tickbridge --help`). A command a module registers but this table does not name
 * still works (an unknown first word loads every module), only slower: test/cli/command-table.test.ts checks
 * that the table names exactly what each module registers.
 */
export const COMMANDS: ReadonlyArray<[names: string[], load: () => Promise<Register>]> = [
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
export async function commandsFor(args: readonly string[]): Promise<Register[]> {
  const [first] = args
  const known = first === undefined ? undefined : COMMANDS.find(([names]) => names.includes(first))
  return Promise.all((known ? [known] : COMMANDS).map(([, load]) => load()))
}
