import { clickhouseErrorCode, isDataError } from './core/insert-errors.ts'
import { isPermanentKafkaError } from './kafka/errors.ts'

/**
 * One errors module with stable codes. Callers branch on `code` (and `retriable`), never on message text.
 * Every code is listed, with what to do about it, in docs/errors.md (test/errors.test.ts keeps the two in step).
 */
export const ErrorCodes = {
  CONFIG_INVALID: 'TB_CONFIG_INVALID',
  JAVA_MISSING: 'TB_JAVA_MISSING',
  MAVEN_MISSING: 'TB_MAVEN_MISSING',
  CLICKHOUSE_MISSING: 'TB_CLICKHOUSE_MISSING',
  /** No `nats-server` binary for the local stack, and it cannot be installed here. */
  NATS_MISSING: 'TB_NATS_MISSING',
  PORT_IN_USE: 'TB_PORT_IN_USE',
  START_FAILED: 'TB_START_FAILED',
  KAFKA_STORAGE_INVALID: 'TB_KAFKA_STORAGE_INVALID',
  KAFKA_UNAVAILABLE: 'TB_KAFKA_UNAVAILABLE',
  CLICKHOUSE_UNAVAILABLE: 'TB_CLICKHOUSE_UNAVAILABLE',
  /** NATS did not answer, has no JetStream, or refused the stream or consumer the bridge needs. */
  NATS_UNAVAILABLE: 'TB_NATS_UNAVAILABLE',
  CLICKHOUSE_REJECTED: 'TB_CLICKHOUSE_REJECTED',
  MIGRATION_FAILED: 'TB_MIGRATION_FAILED',
  COMMAND_FAILED: 'TB_COMMAND_FAILED',
  /** A command-line value that cannot be used (a malformed time, symbol, limit, …). */
  INVALID_ARGUMENT: 'TB_INVALID_ARGUMENT',
  /** The consumer group has active members, so its offsets cannot be moved. */
  GROUP_ACTIVE: 'TB_GROUP_ACTIVE',
  /** The dead-letter topic refused letters for good (rights, topic settings): the bridge cannot go on. */
  DLQ_REFUSED: 'TB_DLQ_REFUSED',
  /** An exchange refused the feed's connection for good (auth failed, too many connections): the feed exits 2. */
  EXCHANGE_REFUSED: 'TB_EXCHANGE_REFUSED',
  /** Kafka refused a client for good (authorization, unsupported version, …): the process exits. */
  KAFKA_REFUSED: 'TB_KAFKA_REFUSED',
  /** Kafka refused the SASL login (user, password or mechanism): the process exits, naming the settings. */
  KAFKA_AUTH_FAILED: 'TB_KAFKA_AUTH_FAILED',
  /** The broker's TLS certificate did not verify against KAFKA_SSL_CA_FILE (or the system's CAs). */
  KAFKA_TLS_FAILED: 'TB_KAFKA_TLS_FAILED',
  /** The bridge's consumer-group member was lost (stream ended, heartbeat stalled, no progress); it is rebuilt. */
  KAFKA_CONSUMER_LOST: 'TB_KAFKA_CONSUMER_LOST',
  /** An offset commit was refused because the consumer group is rebalancing; the committer tries again. */
  KAFKA_REBALANCING: 'TB_KAFKA_REBALANCING',
  /** Another live process already reports to the hub under this instance id. */
  INSTANCE_ID_TAKEN: 'TB_INSTANCE_ID_TAKEN',
  /** The hub did not answer, or answered with an error status. */
  HUB_UNAVAILABLE: 'TB_HUB_UNAVAILABLE',
  /** The hub refused the bearer token (HTTP 401). */
  HUB_TOKEN_REFUSED: 'TB_HUB_TOKEN_REFUSED'
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

/**
 * The one retry decision: false when retrying the same request cannot succeed, so the caller must stop (or
 * split, or dead-letter) instead of looping. In order:
 * - a TickbridgeError marked non-retriable; one marked retriable is retriable unless its cause is not
 *   (wrapping a permanent Kafka refusal does not make it heal);
 * - a Kafka refusal that no retry or reconnect can change (authorization, too large, unsupported version, …:
 *   kafka/errors.ts);
 * - a ClickHouse error about the data (the same rows fail the same way: core/insert-errors.ts).
 * Anything else (connections refused or closed, timeouts, leader and coordinator moves) is retriable.
 */
export function isRetriable(error: unknown): boolean {
  if (error instanceof TickbridgeError)
    return error.retriable && (error.cause === undefined || isRetriable(error.cause))
  if (isPermanentKafkaError(error)) return false
  return !isDataError(clickhouseErrorCode(error))
}
