/**
 * One errors module with stable codes. Callers branch on `code` (and `retriable`), never on message text.
 */
export const ErrorCodes = {
  CONFIG_INVALID: 'TB_CONFIG_INVALID',
  JAVA_MISSING: 'TB_JAVA_MISSING',
  MAVEN_MISSING: 'TB_MAVEN_MISSING',
  CLICKHOUSE_MISSING: 'TB_CLICKHOUSE_MISSING',
  PORT_IN_USE: 'TB_PORT_IN_USE',
  START_FAILED: 'TB_START_FAILED',
  KAFKA_STORAGE_INVALID: 'TB_KAFKA_STORAGE_INVALID',
  KAFKA_UNAVAILABLE: 'TB_KAFKA_UNAVAILABLE',
  CLICKHOUSE_UNAVAILABLE: 'TB_CLICKHOUSE_UNAVAILABLE',
  CLICKHOUSE_REJECTED: 'TB_CLICKHOUSE_REJECTED',
  MIGRATION_FAILED: 'TB_MIGRATION_FAILED',
  COMMAND_FAILED: 'TB_COMMAND_FAILED',
  /** A command-line value that cannot be used (a malformed time, symbol, limit, …). */
  INVALID_ARGUMENT: 'TB_INVALID_ARGUMENT',
  /** The consumer group has active members, so its offsets cannot be moved. */
  GROUP_ACTIVE: 'TB_GROUP_ACTIVE',
  /** The dead-letter topic refused letters for good (rights, topic settings): the bridge cannot go on. */
  DLQ_REFUSED: 'TB_DLQ_REFUSED',
  /** Kafka refused a client for good (authorization, unsupported version, …): the process exits. */
  KAFKA_REFUSED: 'TB_KAFKA_REFUSED',
  /** Another live process already reports to the hub under this instance id. */
  INSTANCE_ID_TAKEN: 'TB_INSTANCE_ID_TAKEN'
} as const

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes]

export interface TickbridgeErrorOptions {
  cause?: unknown
  retriable?: boolean
  /** What the user can do about it; printed by the CLI under the message. */
  hint?: string
}

export class TickbridgeError extends Error {
  readonly code: ErrorCode
  readonly retriable: boolean
  readonly hint: string | undefined

  constructor(code: ErrorCode, message: string, options: TickbridgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'TickbridgeError'
    this.code = code
    this.retriable = options.retriable ?? false
    this.hint = options.hint
  }
}

export function isTickbridgeError(error: unknown): error is TickbridgeError {
  return error instanceof TickbridgeError
}

/** Short, single-line description of any thrown value, for logs and error reasons. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name
  return String(error)
}

/** False only for errors marked non-retriable: retrying them cannot succeed, so the caller must stop. */
export function isRetriable(error: unknown): boolean {
  return !(error instanceof TickbridgeError) || error.retriable
}
