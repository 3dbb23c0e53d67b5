import type { Logger } from 'pino'
import type { OffsetTracker } from '../core/offset-tracker.ts'
import { isRetriable } from '../errors.ts'
import { describeKafkaError } from '../kafka/errors.ts'
import type { MessageSource } from './ports.ts'

const COMMIT_RETRY_MS = 1_000
/** How often an instance re-asserts the offsets it committed for the partitions it still owns. */
const COMMIT_REFRESH_MS = 5_000

/**
 * Commits what the offset tracker says may be committed: one commit in flight at a time, later requests
 * coalesce into one more; a failed commit is retried after 1 s (when no more messages arrive nothing else
 * would trigger one, and the group's lag would never reach zero).
 *
 * After a rebalance, the member that lost a partition can still land a commit for it (the Kafka client
 * retries a commit rejected for the old generation after rejoining), moving the group's offset back below
 * what the new owner committed. So every few seconds the committer forgets partitions it no longer owns and
 * re-asserts its last commits for the ones it does: a regression costs a re-delivery (absorbed by the tables'
 * identity), never a stuck lag.
 */
export class OffsetCommitter {
  readonly #tracker: OffsetTracker
  readonly #source: MessageSource
  readonly #log: Logger
  readonly #onCommitted: (partitions: number) => void
  readonly #onFatal: (error: Error) => void
  #committing: Promise<void> | null = null
  #commitAgain = false
  #refreshTimer: NodeJS.Timeout | null = null
  #stopped = false

  constructor(
    tracker: OffsetTracker,
    source: MessageSource,
    log: Logger,
    onCommitted: (partitions: number) => void,
    onFatal: (error: Error) => void = () => undefined
  ) {
    this.#tracker = tracker
    this.#source = source
    this.#log = log
    this.#onCommitted = onCommitted
    this.#onFatal = onFatal
  }

  startRefresh(): void {
    this.#refreshTimer = setInterval(() => void this.#refresh(), COMMIT_REFRESH_MS).unref()
  }

  /** No more retries or refreshes (a final commit() still runs). */
  stopRetrying(): void {
    this.#stopped = true
    if (this.#refreshTimer) clearInterval(this.#refreshTimer)
  }

  /** Commit what advanced. */
  async commit(): Promise<void> {
    if (this.#committing) {
      this.#commitAgain = true
      return this.#committing
    }
    this.#committing = (async () => {
      do {
        this.#commitAgain = false
        const positions = this.#tracker.commitable(this.#source.ownedPartitions())
        if (positions.length === 0) continue
        try {
          await this.#source.commit(positions)
          this.#tracker.markCommitted(positions)
          this.#onCommitted(positions.length)
        } catch (error) {
          if (!isRetriable(error)) {
            // Not allowed to commit (group authorization, …): retrying cannot help, the bridge must stop.
            this.#log.error(
              { err: error, reason: describeKafkaError(error) },
              'offset commit refused for good'
            )
            this.#stopped = true
            this.#onFatal(error as Error)
            return
          }
          // A rebalance may have taken the partitions away (they are re-delivered to their new owner), or the
          // coordinator was briefly unavailable: try again soon.
          this.#log.warn(
            { err: error, reason: describeKafkaError(error), partitions: positions.length },
            'offset commit failed; retrying in 1 s'
          )
          if (!this.#stopped) setTimeout(() => void this.commit(), COMMIT_RETRY_MS).unref()
        }
      } while (this.#commitAgain)
    })().finally(() => {
      this.#committing = null
      // A batch that finished between the loop's last check and here asked for a commit: honour it.
      if (this.#commitAgain) void this.commit()
    })
    return this.#committing
  }

  async #refresh(): Promise<void> {
    const owned = this.#source.ownedPartitions()
    if (!owned || this.#stopped) return
    this.#tracker.forget(owned)
    const positions = this.#tracker.lastCommitted(owned)
    if (positions.length === 0) return
    await this.#source
      .commit(positions)
      .catch((error: unknown) => this.#log.debug({ err: error }, 'commit refresh failed'))
  }
}
