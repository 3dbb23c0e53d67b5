import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { backoffMs, clickhouseErrorCode, isDataError } from '../core/insert-errors.ts'
import type { TableName } from '../core/rows.ts'
import { describeError, isRetriable } from '../errors.ts'
import { describeKafkaError } from '../kafka/errors.ts'

/**
 * How the bridge worker retries its writes (inserts, dead letters, write-buffer flushes, candle recomputes):
 * never giving up while running, a capped backoff, a policy per kind of write for ClickHouse data errors, and
 * since when writes have been failing in a row (readiness reads it).
 */
export const DLQ_LANE = 'dlq'

/** How a write is retried: what it names in logs, whether a data error splits, what a success reports. */
export interface WritePolicy {
  /** What is written: a table, the dead-letter topic, the candles. */
  readonly target: TableName | typeof DLQ_LANE | 'candles'
  /**
   * What a ClickHouse data error (core/insert-errors.ts) means here. 'split': these rows can never be written
   * as they are: report them `rejected`, for the caller to split the batch. 'retry': no message caused it
   * (a candle recompute reads trades already written), so nothing can be split away: retry like any
   * retriable error, while readiness reports the failing writes. Otherwise a non-retriable error is fatal.
   */
  readonly onDataError: 'split' | 'retry' | 'fatal'
  /** The outcome a successful write reports. */
  readonly written: 'inserted' | 'dead-lettered' | 'recomputed' | 'stored'
}

export type WriteOutcome =
  | { readonly kind: WritePolicy['written'] }
  /** Only when the policy splits on data errors. */
  | { readonly kind: 'rejected'; readonly reason: string }

export const DEAD_LETTER_WRITE: WritePolicy = {
  target: DLQ_LANE,
  onDataError: 'fatal',
  written: 'dead-lettered'
}
export const CANDLE_WRITE: WritePolicy = { target: 'candles', onDataError: 'retry', written: 'recomputed' }

export function insertWrite(table: TableName): WritePolicy {
  return { target: table, onDataError: 'split', written: 'inserted' }
}

/** Flushing a write buffer: no row of a batch causes a data error there, so it is retried like any failure. */
export function persistWrite(table: TableName): WritePolicy {
  return { target: table, onDataError: 'retry', written: 'stored' }
}

export interface WriteRetryDeps {
  log: Logger
  maxDelayMs: number
  /** A failed attempt (the worker's error count). */
  onError: () => void
  /** A write failed in a way retrying cannot fix. */
  onFatal: (error: Error) => void
  /** While stopping, a write gives up after a few attempts. */
  stopping: () => boolean
}

export class WriteRetry {
  readonly #deps: WriteRetryDeps
  /** Epoch ms of the first of the writes failing in a row; null when they succeed. */
  failingSince: number | null = null
  /** The row inserts under way (retries included), by when each began. */
  readonly #inserting = new Set<{ since: number }>()

  constructor(deps: WriteRetryDeps) {
    this.#deps = deps
  }

  /** Runs `attempt` until it succeeds, with capped backoff; see WritePolicy for data errors. */
  async run(policy: WritePolicy, attempt: () => Promise<void>): Promise<WriteOutcome> {
    if (policy.written !== 'inserted') return this.#run(policy, attempt)
    const insert = { since: Date.now() }
    this.#inserting.add(insert)
    try {
      return await this.#run(policy, attempt)
    } finally {
      this.#inserting.delete(insert)
    }
  }

  /**
   * Epoch ms at which the oldest row insert still under way began, retries included; null when none is. An
   * insert that hangs (ClickHouse unreachable behind a dead connection) neither succeeds nor fails for as long
   * as its request timeout: this is what shows it meanwhile. Candle recomputes, buffer flushes and dead
   * letters are not counted, as they are not in the latency of completed inserts.
   */
  get oldestInsertSince(): number | null {
    let oldest: number | null = null
    for (const { since } of this.#inserting) if (oldest === null || since < oldest) oldest = since
    return oldest
  }

  async #run(policy: WritePolicy, attempt: () => Promise<void>): Promise<WriteOutcome> {
    const { target } = policy
    for (let n = 0; ; n++) {
      try {
        await attempt()
        this.failingSince = null
        return { kind: policy.written }
      } catch (error) {
        this.failingSince ??= Date.now()
        const dataError = isDataError(clickhouseErrorCode(error))
        if (dataError && policy.onDataError === 'split')
          return { kind: 'rejected', reason: describeError(error) }
        this.#deps.onError()
        if (!isRetriable(error) && !(dataError && policy.onDataError === 'retry')) {
          // Retrying cannot succeed and would stall the partition: stop the bridge (it exits non-zero).
          this.#deps.log.error({ target, err: error }, 'write failed for good')
          this.#deps.onFatal(error as Error)
          throw error
        }
        if (this.#deps.stopping() && n >= 3) throw error
        const delay = backoffMs(n, this.#deps.maxDelayMs)
        this.#deps.log.warn(
          { target, attempt: n + 1, retryInMs: delay, err: error, reason: describeKafkaError(error) },
          'write failed, retrying'
        )
        await sleep(delay)
      }
    }
  }
}
