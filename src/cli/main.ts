import { Command } from 'commander'
import { registerFeedCommand } from './commands/feed.ts'
import { registerHubCommand } from './commands/hub.ts'
import { registerStatusCommands } from './commands/status.ts'
import { registerValidateCommand } from './commands/validate.ts'
import { registerPipelineControlCommands } from './commands/start.ts'
import { registerKafkaToolCommand } from './commands/kafka-tool.ts'
import { registerQueryCommand } from './commands/query.ts'
import { registerCandlesCommand } from './commands/candles.ts'
import { registerLagCommand } from './commands/lag.ts'
import { registerResetCommands } from './commands/reset.ts'
import { registerLogsCommand } from './commands/logs.ts'
import { registerLoadTestCommand } from './commands/loadtest.ts'
import { registerReplayCommand } from './commands/replay.ts'
import { registerPipelineCommands } from './commands/pipeline.ts'
import { registerScaleCommand } from './commands/scale.ts'
import { registerStackCommands } from './commands/stack.ts'
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

registerStackCommands(program)
registerPipelineCommands(program)
registerFeedCommand(program)
registerHubCommand(program)
registerStatusCommands(program)
registerValidateCommand(program)
registerPipelineControlCommands(program)
registerScaleCommand(program)
registerKafkaToolCommand(program)
registerQueryCommand(program)
registerCandlesCommand(program)
registerLagCommand(program)
registerResetCommands(program)
registerLogsCommand(program)
registerLoadTestCommand(program)
registerReplayCommand(program)

try {
  await program.parseAsync(process.argv)
} catch (error) {
  // Whichever command hit it, a refused Kafka login or certificate prints as the error naming the settings.
  printError(kafkaSecurityError(error) ?? error)
  process.exitCode = 1
}
