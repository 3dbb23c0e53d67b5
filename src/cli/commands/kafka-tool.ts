import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Command } from 'commander'
import { ErrorCodes, TickbridgeError } from '../../errors.ts'
import { javaClientProperties } from '../../kafka/security.ts'
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
      // KAFKA_SECURITY_PROTOCOL and its companions, as the tool's client config (0600, removed afterwards).
      const properties = javaClientProperties(config.kafka)
      const dir = properties === null ? null : mkdtempSync(join(tmpdir(), 'tickbridge-kafka-'))
      const security: string[] = []
      if (dir !== null && properties !== null) {
        const file = join(dir, 'client.properties')
        writeFileSync(file, properties, { mode: 0o600 })
        security.push(tool === 'console-consumer' ? '--consumer.config' : '--command-config', file)
      }
      try {
        const child = spawn(
          'java',
          ['-Xmx256m', '-cp', `${paths.lib}/*`, mainClass, ...bootstrap, ...security, ...args],
          { stdio: 'inherit' }
        )
        process.exitCode = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)))
      } finally {
        if (dir !== null) rmSync(dir, { recursive: true, force: true })
      }
    })
}
