import { loadConfig, type Config } from '../config/load.ts'
import { createLogger, type Logger } from '../logger.ts'

/** Config and root logger, built once per CLI invocation. */
export interface CliContext {
  config: Config
  log: Logger
}

let context: CliContext | null = null

/** `settings`: variables given as flags (e.g. `bridge --pool` for BRIDGE_POOL); they rebuild the context. */
export function cliContext(settings?: Record<string, string>): CliContext {
  if (!context || settings) {
    const config = loadConfig(process.env, undefined, settings)
    context = { config, log: createLogger(config.log) }
  }
  return context
}

export const progress = (line: string): void => {
  process.stderr.write(`${line}\n`)
}

/**
 * Stops a long-running role, then exits with the code `exitCode` makes of the stop's result. A stop that throws
 * is logged and exits 1: never an unhandled rejection, never a process left half stopped.
 */
export function stopThenExit<T>(stop: () => Promise<T>, log: Logger, exitCode: (result: T) => number): void {
  stop().then(
    (result) => process.exit(exitCode(result)),
    (error: unknown) => {
      log.error({ err: error }, 'stopping failed; exiting')
      process.exit(1)
    }
  )
}
