import { pino, type Logger } from 'pino'

export type { Logger }

export interface LoggerOptions {
  level: string
  pretty: boolean
}

/** Log bytes held while stdout cannot take them; past this, lines are dropped. */
const HELD_LOG_BYTES = 16 * 1024 * 1024

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
  return pino({ level: options.level }, stdoutDestination())
}

/**
 * stdout, where a failed or blocked write cannot stop the process. With pino's default (asynchronous)
 * destination a write error other than EPIPE is re-emitted as 'error' (unheard, it ends Node), and at exit the
 * flush of the lines still held is retried on every 'beforeExit', for ever: on /dev/full the process never
 * ended. A full disk under `tickbridge start`'s log files (where the feed's spool also lives) would have stopped
 * the pipeline over a log line. Here writes are synchronous (nothing is left to flush at exit; these processes
 * log a few lines a second, never per message), errors are heard, and a pipe that is full (a stalled log
 * reader: EAGAIN) is not waited on, which would block the event loop and with it Kafka heartbeats. Lines are
 * held while writes fail and go out with the next write that succeeds; past HELD_LOG_BYTES new lines are
 * dropped, and each drop tries to write out what is held, so logging comes back once the disk or pipe does.
 */
function stdoutDestination() {
  const destination = pino.destination({
    fd: process.stdout.fd ?? 1,
    sync: true,
    maxLength: HELD_LOG_BYTES,
    retryEAGAIN: () => false
  })
  destination.on('error', () => undefined)
  destination.on('drop', () => {
    try {
      destination.flushSync()
    } catch {
      // still failing: the line stays dropped
    }
  })
  return destination
}
