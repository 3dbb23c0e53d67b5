import { spawn } from 'node:child_process'
import type { Command } from 'commander'
import { ErrorCodes, TickbridgeError } from '../../errors.ts'
import { installKafkaJars, kafkaPaths, kafkaToolClass, requireJava } from '../../stack/kafka-server.ts'
import { cliContext, progress } from '../context.ts'

/** Kafka's own tools from the same jars, e.g. `tickbridge kafka consumer-groups --describe --group tickbridge-bridge`. */
export function registerKafkaToolCommand(program: Command): void {
  program
    .command('kafka')
    .description(
      "run one of Kafka's own tools against the configured brokers: consumer-groups, topics, console-consumer, get-offsets"
    )
    .argument('<tool>', 'consumer-groups | topics | console-consumer | get-offsets')
    .argument('[args...]', 'arguments passed to the tool (--bootstrap-server is added)')
    .allowUnknownOption()
    .helpOption(false)
    .action(async (tool: string, args: string[]) => {
      const mainClass = kafkaToolClass(tool)
      if (!mainClass) {
        throw new TickbridgeError(ErrorCodes.COMMAND_FAILED, `unknown Kafka tool "${tool}"`, {
          hint: 'Use one of: consumer-groups, topics, console-consumer, get-offsets.'
        })
      }
      const { config } = cliContext()
      const paths = kafkaPaths(config)
      requireJava()
      installKafkaJars(paths, progress)
      const bootstrap = args.includes('--bootstrap-server')
        ? []
        : ['--bootstrap-server', config.kafka.brokers.join(',')]
      const child = spawn('java', ['-Xmx256m', '-cp', `${paths.lib}/*`, mainClass, ...bootstrap, ...args], {
        stdio: 'inherit'
      })
      const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)))
      process.exitCode = code
    })
}
