import { Command } from 'commander'
import { printError } from './output.ts'
import { kafkaSecurityError } from '../kafka/security.ts'
import { kafkaLibrary } from '../kafka/library.ts'
import { commandsFor } from './command-table.ts'

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

for (const register of await commandsFor(process.argv.slice(2))) register(program)

try {
  await program.parseAsync(process.argv)
} catch (error) {
  // Whichever command hit it, a refused Kafka login or certificate prints as the error naming the settings.
  printError(kafkaSecurityError(error) ?? error)
  process.exitCode = 1
}
