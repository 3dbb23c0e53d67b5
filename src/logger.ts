import { pino, type Logger } from 'pino'

export type { Logger }

export interface LoggerOptions {
  level: string
  pretty: boolean
}

/** Root logger: JSON by default, pretty (pino-pretty) only when a person is watching. */
export function createLogger(options: LoggerOptions): Logger {
  if (options.pretty) {
    return pino({
      level: options.level,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' }
      }
    })
  }
  return pino({ level: options.level })
}
