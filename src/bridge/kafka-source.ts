import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { backoffMs } from '../core/insert-errors.ts'
import type { CommitPosition, PartitionKey } from '../core/offset-tracker.ts'
import type { BufferConsumer, ConsumeStream } from '../kafka/clients.ts'
import { ErrorCodes, isRetriable, TickbridgeError } from '../errors.ts'
import { describeKafkaError } from '../kafka/errors.ts'
import {
  assignedCount,
  assignedKeys,
  assignedLabels,
  closeQuietly,
  lowestPartition,
  unreadMessages
} from '../kafka/member.ts'
import { kafkaSecurityError } from '../kafka/security.ts'
import { ALIGN_LEAD_MS, FetchPace } from './fetch-pace.ts'
import type { BatchClock, MessageSource, SourceMessage } from './ports.ts'

/** Where the source stands; anything but `consuming` makes the bridge not ready. */
export type SourceState = 'starting' | 'consuming' | 'reconnecting' | 'failed' | 'closed'

export interface KafkaSourceOptions {
  /** Builds a fresh consumer-group member; called again whenever the current one is lost. */
  createConsumer: () => BufferConsumer
  topics: string[]
  log: Logger
  /** A Kafka error that no reconnect can heal: the process should exit non-zero with it. */
  onFatal: (error: Error) => void
  /** Consumer rebuild backoff cap (ms). */
  maxReconnectDelayMs?: number
  /** No message for this long while Kafka holds unread ones (and nothing is paused or buffered) = stalled. */
  stallAfterMs?: number
  /** Messages this instance holds but has not acknowledged (the worker's buffer), for the stall check. */
  buffered?: () => number
  /** Long-poll this long (ms) once nothing arrived for FETCH_IDLE_AFTER_MS (bridge/fetch-pace.ts); 0 or unset: never. */
  fetchIdleWaitMs?: number
  /** The worker's batch deadlines: fetches made while a batch is open land just before it is due (fetch-pace.ts). */
  batchClock?: BatchClock
}

/** Why a member was given up and rebuilt; retriable, like everything the rebuild heals. */
const memberLost = (message: string) =>
  new TickbridgeError(ErrorCodes.KAFKA_CONSUMER_LOST, message, { retriable: true })

const WATCHDOG_INTERVAL_MS = 5_000
/** How often the fetch pace looks at the messages received: this long without one = idle. */
const FETCH_IDLE_AFTER_MS = 100

/**
 * MessageSource over a Kafka consumer-group member, supervised. @platformatic/kafka ends a consume stream for
 * good when fetches keep failing (a broker restart), and stops heartbeating when a rejoin fails, so a plain
 * member can sit alive and idle forever. Here any such loss — the stream erroring or closing, a rejoin
 * failing, the heartbeat stalling, or the watchdog seeing no progress while Kafka holds unread messages —
 * closes the member and builds a new one with capped backoff, for as long as it takes: it rejoins the group
 * and resumes from the committed offsets (messages already in flight are re-delivered; the tables' identity absorbs them). A
 * permanent error (authorization, unsupported version, …) is handed to `onFatal` instead.
 * Offsets are committed only by the worker, explicitly.
 */
export class KafkaSource implements MessageSource {
  readonly #options: KafkaSourceOptions
  readonly #log: Logger
  #consumer: BufferConsumer | null = null
  #stream: ConsumeStream | null = null
  #onMessage: ((message: SourceMessage) => void) | null = null
  #state: SourceState = 'starting'
  #paused = false
  #reconnects = 0
  #received = 0
  #watchdog: NodeJS.Timeout | null = null
  #lastProgress = { received: 0, at: Date.now() }
  #stalledSince: number | null = null
  #kafkaTroubleSince: number | null = null
  /** The member a rebuild is joining failed before its consume() came back: that connect gives it up. */
  #lostWhileJoining: Error | null = null
  readonly #fetchPace: FetchPace | null
  #paceTimer: NodeJS.Timeout | null = null

  constructor(options: KafkaSourceOptions) {
    this.#options = options
    this.#log = options.log
    const idleWaitMs = options.fetchIdleWaitMs ?? 0
    const clock = options.batchClock
    this.#fetchPace =
      idleWaitMs > 0 || clock ? new FetchPace(idleWaitMs, clock && (() => clock.nextDueAt())) : null
  }

  get state(): SourceState {
    return this.#state
  }

  /** How many times the consumer was rebuilt after losing Kafka. */
  get reconnects(): number {
    return this.#reconnects
  }

  /** Epoch ms of the first failed connection or group heartbeat in a row (Kafka unreachable); null when fine. */
  get kafkaTroubleSince(): number | null {
    return this.#kafkaTroubleSince
  }

  /** Epoch ms since when the watchdog has seen no progress with unread messages in Kafka; null when fine. */
  get stalledSince(): number | null {
    return this.#stalledSince
  }

  async start(onMessage: (message: SourceMessage) => void): Promise<void> {
    this.#onMessage = onMessage
    try {
      await this.#connect()
    } catch (error) {
      // Closed meanwhile: nothing to rebuild. Lost while joining (#lost, state reconnecting): the rebuild it
      // started owns what comes next; a second would orphan a member.
      if (this.#state !== 'closed' && this.#state !== 'reconnecting') {
        if (!isRetriable(error)) throw error
        // Kafka answered (the topics exist) but the group join failed: a broker lost while joining, e.g. the
        // coordinator's on a cluster. Rebuild the member as after a loss, instead of failing the start.
        this.#state = 'reconnecting'
        this.#log.warn(
          { err: error, reason: describeKafkaError(error) },
          'Kafka consumer could not join the group; retrying'
        )
        void this.#reconnect(null)
      }
    }
    if (this.#state === 'closed') return
    this.#watchdog = setInterval(() => void this.#watch(), WATCHDOG_INTERVAL_MS).unref()
    if (this.#fetchPace?.idles) this.#paceTimer = setInterval(() => this.#pace(), FETCH_IDLE_AFTER_MS).unref()
  }

  /** Long-polls while nothing arrives, fetches as configured once messages flow (bridge/fetch-pace.ts). */
  #pace(): void {
    const consumer = this.#consumer
    if (!consumer || !this.#fetchPace || this.#state !== 'consuming') return
    const mode = this.#fetchPace.next(this.#received)
    if (mode) this.#fetchPace.apply(consumer, mode)
  }

  async #connect(): Promise<void> {
    const consumer = this.#options.createConsumer()
    this.#consumer = consumer
    this.#lostWhileJoining = null
    this.#fetchPace?.reset()
    this.#fetchPace?.install(consumer)
    consumer.on('consumer:group:join', (payload) => {
      const partitions = (payload.assignments ?? [])
        .map((a) => `${a.topic}[${a.partitions.join(',')}]`)
        .join(' ')
      this.#log.info(
        { memberId: payload.memberId, generation: payload.generationId },
        `assigned partitions: ${partitions || 'none (idle: more instances than partitions)'}`
      )
    })
    consumer.on('consumer:group:rebalance', () => this.#log.info('consumer group rebalancing'))
    // Kafka unreachable: a failed connection or heartbeat says so at once; the client's own retries take
    // ~15 s before the stream or the heartbeat gives up.
    const trouble = () => (this.#kafkaTroubleSince ??= Date.now())
    const fine = () => (this.#kafkaTroubleSince = null)
    consumer.on('client:broker:failed', trouble)
    consumer.on('consumer:heartbeat:error', trouble)
    consumer.on('client:broker:connect', fine)
    consumer.on('consumer:heartbeat:end', fine)
    consumer.on('consumer:heartbeat:stalled', (payload) =>
      this.#lost(consumer, payload.lastError ?? memberLost(`no heartbeat for ${payload.stalledFor} ms`))
    )
    // A rejoin its heartbeat started that failed for good (its coordinator killed mid-rebalance, say) is
    // emitted as 'error' on the member itself; unheard, Node would end the process with it (CI 2026-12-01).
    consumer.on('error', (error: Error) => this.#lost(consumer, error))
    // Closed with the member if anything below gives it up.
    let stream: ConsumeStream | undefined
    try {
      stream = await consumer.consume({
        topics: this.#options.topics,
        mode: 'committed',
        fallbackMode: 'earliest',
        autocommit: false,
        highWaterMark: 8192
      })
      if (consumer !== this.#consumer) {
        // Lost (and replaced) while it joined: this stream is the lost member's; the rebuild brings the next.
        await closeQuietly(consumer, stream)
        return
      }
      // Set by #lost() while consume() was awaited (TypeScript cannot see that).
      const lost = this.#lostWhileJoining as Error | null
      // A rebuild's member that failed while it joined: given up (below), the rebuild's loop tries again.
      if (lost) throw memberLost(`the new member failed while it joined the group: ${lost.message}`)
      stream.on('error', (error) => this.#lost(consumer, error))
      stream.on('close', () => this.#lost(consumer, memberLost('the consume stream closed')))
      if (this.#paused) stream.pause()
      const clock = this.#options.batchClock
      // A fetch landed; its messages are handed on synchronously after this event: then flush what it was
      // timed for, before the stream's next fetch is built (both on the next tick, this first).
      if (clock) {
        stream.on('fetch', () => {
          this.#fetchPace?.landed()
          process.nextTick(() => clock.flushDueWithin(ALIGN_LEAD_MS))
        })
      }
      // Kafka's message objects already have the SourceMessage shape: hand them on without copying.
      const onMessage = this.#onMessage as (message: SourceMessage) => void
      stream.on('data', (message: SourceMessage) => {
        this.#received++
        onMessage(message)
      })
      this.#stream = stream
      this.#state = 'consuming'
      this.#kafkaTroubleSince = null
      this.#lastProgress = { received: this.#received, at: Date.now() }
    } catch (error) {
      if (this.#consumer === consumer) this.#consumer = null
      await closeQuietly(consumer, stream)
      throw error
    }
  }

  /** The member `consumer` failed; if it is still the current one, replace it. */
  #lost(consumer: BufferConsumer, error: Error): void {
    if (consumer !== this.#consumer || this.#state === 'closed') return
    if (this.#state === 'reconnecting') {
      // The member a rebuild is joining: its connect sees this once consume() comes back (else the source would
      // consume with a dead member until the watchdog noticed). A rebuild already under way owns the rest.
      this.#lostWhileJoining ??= error
      return
    }
    this.#state = 'reconnecting'
    this.#log.error(
      { err: error, reason: describeKafkaError(error) },
      'Kafka consumer lost; rebuilding it (it rejoins the group and resumes from the committed offsets)'
    )
    void this.#reconnect(consumer)
  }

  async #reconnect(old: BufferConsumer | null): Promise<void> {
    const lostAt = Date.now()
    const stream = this.#stream
    this.#stream = null
    this.#consumer = null
    if (old) await closeQuietly(old, stream)
    for (let attempt = 0; this.#state === 'reconnecting'; attempt++) {
      await sleep(backoffMs(attempt + 3, this.#options.maxReconnectDelayMs ?? 10_000))
      if (this.#state !== 'reconnecting') return
      try {
        await this.#connect()
        this.#reconnects++
        this.#stalledSince = null
        this.#log.info(
          { downMs: Date.now() - lostAt, attempts: attempt + 1 },
          'Kafka consumer back: rejoined the group'
        )
        return
      } catch (error) {
        if (!isRetriable(error)) {
          this.#state = 'failed'
          this.#options.onFatal(
            kafkaSecurityError(error) ??
              new TickbridgeError(
                ErrorCodes.KAFKA_REFUSED,
                `Kafka refused the bridge's consumer for good: ${describeKafkaError(error)}`,
                {
                  cause: error,
                  hint: "Check this client's rights (ACLs) on the topics and the group, and the broker's version."
                }
              )
          )
          return
        }
        this.#log.warn(
          { err: error, reason: describeKafkaError(error), attempt: attempt + 1 },
          'Kafka still unreachable; retrying'
        )
      }
    }
  }

  /** Backstop for losses no event reports: no progress while Kafka holds unread messages. */
  async #watch(): Promise<void> {
    if (this.#state !== 'consuming' || this.#paused) {
      this.#lastProgress = { received: this.#received, at: Date.now() }
      return
    }
    if (this.#received !== this.#lastProgress.received) {
      this.#kafkaTroubleSince = null
      this.#lastProgress = { received: this.#received, at: Date.now() }
      this.#stalledSince = null
      return
    }
    const idleMs = Date.now() - this.#lastProgress.at
    if (idleMs < (this.#options.stallAfterMs ?? 30_000) || (this.#options.buffered?.() ?? 0) > 0) return
    const consumer = this.#consumer
    const unread = consumer ? await unreadMessages(consumer).catch(() => 0n) : 0n
    if (!consumer || unread === 0n || consumer !== this.#consumer) return
    this.#stalledSince ??= this.#lastProgress.at
    this.#lost(
      consumer,
      memberLost(`no message for ${idleMs} ms while ${unread} wait in assigned partitions`)
    )
  }

  /** A fetch timed to land before the batch due at `dueAt` is still on its way (bridge/fetch-pace.ts). */
  fetchLandingBefore(dueAt: number): boolean {
    return this.#state === 'consuming' && !this.#paused && (this.#fetchPace?.landingBefore(dueAt) ?? false)
  }

  pause(): void {
    this.#paused = true
    this.#stream?.pause()
  }

  resume(): void {
    this.#paused = false
    this.#stream?.resume()
  }

  async commit(positions: CommitPosition[]): Promise<void> {
    const consumer = this.#consumer
    if (!consumer || this.#state !== 'consuming')
      throw memberLost(`cannot commit: the Kafka source is ${this.#state}`)
    await consumer.commit({
      offsets: positions.map((p) => ({
        topic: p.topic,
        partition: p.partition,
        offset: p.offset,
        leaderEpoch: -1
      }))
    })
  }

  ownedPartitions(): Set<PartitionKey> | undefined {
    // While reconnecting this instance owns nothing it may commit.
    return this.#state === 'consuming' ? assignedKeys(this.#consumer) : new Set()
  }

  /** This member's share of `totalPartitions` (0 when it owns none or is not consuming). */
  partitionShare(totalPartitions: number): number {
    if (this.#state !== 'consuming' || totalPartitions <= 0) return 0
    return Math.min(1, assignedCount(this.#consumer) / totalPartitions)
  }

  /**
   * This member's rank in the group, 0 … N-1 for N members sharing the partitions evenly (its lowest partition,
   * ../kafka/member.ts); 0 when it owns none. Bridges use it to take turns (run.ts: staggered flushes).
   */
  rank(): number {
    return this.#state === 'consuming' ? (lowestPartition(this.#consumer) ?? 0) : 0
  }

  assignmentSummary(): string[] {
    return this.#state === 'consuming' ? assignedLabels(this.#consumer) : []
  }

  async close(): Promise<void> {
    this.#state = 'closed'
    if (this.#watchdog) clearInterval(this.#watchdog)
    if (this.#paceTimer) clearInterval(this.#paceTimer)
    const stream = this.#stream
    const consumer = this.#consumer
    this.#stream = null
    this.#consumer = null
    await stream?.close().catch(() => undefined)
    await consumer?.close().catch((error: unknown) => this.#log.warn({ err: error }, 'consumer close failed'))
  }
}
