import { loadConfig, type Config } from '../config/load.ts'
import { createLogger, type Logger } from '../logger.ts'

/** Config and root logger, built once per CLI invocation. */
export interface CliContext {
  config: Config
  log: Logger
}

let context: CliContext | null = null

export function cliContext(): CliContext {
  if (!context) {
    const config = loadConfig()
    context = { config, log: createLogger(config.log) }
  }
  return context
}

export const progress = (line: string): void => {
  process.stderr.write(`${line}\n`)
}
