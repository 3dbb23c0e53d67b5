import type { Logger } from 'pino'
import { deadLetterEnvelope, encodeDeadLetter, type DeadLetterFields } from '../core/dead-letter.ts'
import { messageKey, type MarketMessage, type MessageType } from '../core/messages.ts'
import type { TopicsConfig } from '../config/types.ts'
import { isRetriable } from '../errors.ts'
import { describeKafkaError, isTooLargeError } from '../kafka/errors.ts'
import { kafkaSecurityError } from '../kafka/security.ts'
import { topicForType } from '../kafka/topics.ts'
import type { NatsFanout } from './nats-fanout.ts'
import type { FeedProducer } from './ports.ts'
import type { DiskSpool, OutgoingMessage } from './spool.ts'

export interface PublisherOptions {
  /** Overflow to disk past `memoryMax` queued messages; without one the memory queue is unbounded. */
  spool?: DiskSpool
  memoryMax?: number
  /** Kafka refused the feed for good (authorization, …): the owner stops the feed and exits non-zero. */
  onFatal?: (error: Error) => void
}

const DROP_LOG_INTERVAL_MS = 10_000
/** A frame's dead letter fits a default broker's 1 MB record limit, with room for the rest of its batch. */
const FEED_LETTER_MAX_BYTES = 256 * 1024

/**
 * Produces a feed's canonical messages to Kafka through a FeedProducer (`ports.ts`: the real producer, or a
 * fake in unit tests), keyed exchange:symbol, in batches (every `lingerMs` or `maxBatch` messages) with ONE
 * send in flight: a failed send goes back to the front of the queue, and a second send overtaking it would
 * break per-symbol order.
 * Frames that could not be mapped go to the dead-letter topic with the raw frame and the reason.
 *
 * An exchange cannot be paused, so when Kafka is slow or away the queue grows. Past `memoryMax` messages
 * it continues on disk (DiskSpool), in order: once anything is on disk every new message goes there too,
 * and the sender reads segments back, oldest first, as Kafka catches up. What is still unsent when the
 * feed stops is written to the spool and produced by the next run of the same instance.
 */
export class FeedPublisher {
  readonly counts = new Map<string, number>()
  rejectedCount = 0
  /** Failed sends (each retried). */
  errorCount = 0
  /** Messages refused because the spool was full: a gap, logged as one. */
  droppedCount = 0
  readonly #producer: FeedProducer
  readonly #topics: TopicsConfig
  readonly #log: Logger
  readonly #instanceId: string
  readonly #spool: DiskSpool | null
  readonly #memoryMax: number
  /** In memory, next to send. Everything spooled (and in #overflow) comes after it. */
  #queue: OutgoingMessage[] = []
  /** Past the memory bound, waiting for the next write to the spool. */
  #overflow: OutgoingMessage[] = []
  /** Segments read back into #queue, deleted once `#acked` reaches `upTo`. */
  #readBack: { path: string; upTo: number }[] = []
  /** Messages that ever entered #queue, and of those, acknowledged by Kafka. */
  #queuedTotal = 0
  #acked = 0
  #sending: Promise<void> | null = null
  /** The send in flight (back at the front of the queue if it fails). */
  #inflight: OutgoingMessage[] = []
  #closed = false
  #timer: NodeJS.Timeout | null = null
  #lastDropLog = 0
  readonly #lingerMs = 20
  readonly #maxBatch = 2000
  /** Messages per send: halved when the broker says a batch is too large, back to #maxBatch once one lands. */
  #batchSize = 2000
  readonly #onFatal: ((error: Error) => void) | null
  /** Kafka refused the feed for good: nothing more is sent (what is queued is spooled when the feed stops). */
  #fatal = false

  constructor(
    producer: FeedProducer,
    topics: TopicsConfig,
    instanceId: string,
    log: Logger,
    options: PublisherOptions = {}
  ) {
    this.#producer = producer
    this.#topics = topics
    this.#instanceId = instanceId
    this.#log = log
    this.#spool = options.spool ?? null
    this.#memoryMax = options.memoryMax ?? Number.POSITIVE_INFINITY
    this.#onFatal = options.onFatal ?? null
    if (this.#spool && !this.#spool.empty) {
      log.info(
        { spool: this.#spool.dir, messages: this.#spool.messages },
        'producing what an earlier run left in the spool first'
      )
      this.#send()
    }
  }

  /** Also publish every message on NATS (optional live path). */
  fanout: NatsFanout | null = null

  message(message: MarketMessage): void {
    this.counts.set(message.type, (this.counts.get(message.type) ?? 0) + 1)
    const value = JSON.stringify(message)
    this.fanout?.publish(message, value)
    this.#enqueue({ topic: this.#topicFor(message.type), key: messageKey(message), value })
  }

  rejected(frame: string, reason: string, exchange: string): void {
    this.rejectedCount++
    this.#enqueue(this.#deadLetter({ reason, value: frame, exchange }))
  }

  /** Messages waiting in memory to be produced (including the send in flight). */
  get queued(): number {
    return this.#queue.length + this.#inflight.length
  }

  /** Messages waiting on disk (and about to be written there). */
  get spooled(): number {
    return (this.#spool?.messages ?? 0) + this.#overflow.length
  }

  get memoryMax(): number {
    return this.#memoryMax
  }

  /** Sends what is queued and waits for it (at most `timeoutMs`); returns how many messages are still unsent. */
  async flush(timeoutMs = Number.POSITIVE_INFINITY): Promise<number> {
    const deadline = Date.now() + timeoutMs
    let timer: NodeJS.Timeout | undefined
    const expired = Number.isFinite(timeoutMs)
      ? new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))
      : new Promise<void>(() => undefined)
    try {
      while (this.#pending() > 0 && Date.now() < deadline && !this.#closed) {
        if (!this.#sending) this.#send()
        await (this.#sending ? Promise.race([this.#sending, expired]) : sleep(10))
      }
    } finally {
      clearTimeout(timer)
    }
    return this.#pending()
  }

  /**
   * Stops sending (the producer is about to close). With a spool, what is unsent is written to it, in
   * order, for the next run; returns how many messages that was. Without one they are given up.
   */
  close(): number {
    this.#closed = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    const unsent = this.#pending()
    if (!this.#spool) return unsent
    try {
      // The send in flight may still land: spooling it too costs a repeat, which the tables absorb.
      this.#spool.prepend([...this.#inflight, ...this.#queue])
      for (const { path } of this.#readBack) this.#spool.release(path) // their unacked rest was just prepended
      this.#writeOverflow()
      this.#spool.close()
    } catch (error) {
      this.#log.error(
        { err: error, spool: this.#spool.dir, unsent },
        'could not keep the unsent messages in the spool: they are lost'
      )
    }
    this.#queue = []
    this.#inflight = []
    this.#readBack = []
    return unsent
  }

  #pending(): number {
    return this.queued + this.spooled
  }

  #topicFor(type: MessageType): string {
    return topicForType(this.#topics, type)
  }

  #enqueue(entry: OutgoingMessage): void {
    if (this.#closed) return
    if (this.spooled > 0 || this.queued >= this.#memoryMax) {
      this.#overflow.push(entry)
      if (this.#overflow.length >= this.#maxBatch) this.#writeOverflow()
    } else {
      this.#queue.push(entry)
      this.#queuedTotal++
    }
    if (this.#queue.length >= this.#maxBatch) this.#send()
    else this.#timer ??= setTimeout(() => this.#send(), this.#lingerMs)
  }

  #writeOverflow(): void {
    if (!this.#spool || this.#overflow.length === 0) return
    let written = 0
    try {
      written = this.#spool.append(this.#overflow)
    } catch (error) {
      this.#log.error({ err: error, spool: this.#spool.dir }, 'writing to the spool failed')
    }
    const dropped = this.#overflow.length - written
    this.#overflow = []
    if (dropped === 0) return
    this.droppedCount += dropped
    if (Date.now() - this.#lastDropLog >= DROP_LOG_INTERVAL_MS) {
      this.#lastDropLog = Date.now()
      this.#log.error(
        { dropped: this.droppedCount, spool: this.#spool.dir, spoolBytes: this.#spool.bytes },
        'GAP: Kafka is not taking messages and the spool is full; messages are being dropped (raise FEED_SPOOL_MAX_BYTES or bring Kafka back)'
      )
    }
  }

  /** Moves the oldest spooled messages into memory once the memory queue has room for them. */
  #readSpool(): void {
    if (!this.#spool || this.#queue.length > this.#memoryMax / 2) return
    this.#writeOverflow()
    const segment = this.#spool.takeOldest()
    if (!segment) return
    if (segment.unreadable > 0) {
      this.droppedCount += segment.unreadable
      this.#log.error(
        { unreadable: segment.unreadable, segment: segment.path },
        'GAP: spooled messages that could not be read back (a torn write: a crash or a full disk) were skipped'
      )
    }
    this.#queue.push(...segment.messages)
    this.#queuedTotal += segment.messages.length
    this.#readBack.push({ path: segment.path, upTo: this.#queuedTotal })
    this.#acknowledged(0) // an empty segment is done at once
  }

  #acknowledged(count: number): void {
    this.#acked += count
    while (this.#readBack.length > 0 && this.#readBack[0]!.upTo <= this.#acked) {
      this.#spool?.release(this.#readBack.shift()!.path)
    }
  }

  #send(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    if (this.#closed || this.#sending || this.#fatal) return
    this.#writeOverflow()
    this.#readSpool()
    if (this.#queue.length === 0) return
    const batch = this.#queue.splice(0, this.#batchSize)
    this.#inflight = batch
    this.#sending = this.#producer
      .send({ messages: batch })
      .then(
        () => {
          this.#batchSize = this.#maxBatch
          this.#acknowledged(batch.length)
        },
        (error: unknown) => this.#failed(batch, error)
      )
      .finally(() => {
        this.#sending = null
        this.#inflight = []
        // What arrived during the send goes when its linger is over (its timer is still set), or now if the linger
        // ran out meanwhile (no timer), a full batch waits, or the spool holds more. Sending it as soon as the
        // last send returned made a produce request of a few messages every millisecond or so: the broker's
        // cost is per request (docs/benchmarks.md, load generators).
        if (this.#pending() > 0 && (this.#timer === null || this.#queue.length >= this.#maxBatch))
          this.#send()
      })
  }

  /**
   * A send failed. Retriable (Kafka away, leader moving): the batch goes back to the front of the queue and
   * is retried. Too large for the broker: the batch is halved, and a single message that still does not fit is
   * replaced by its dead letter (the message cut to fit, marked), so one oversized message never stalls the
   * feed. Any other permanent refusal (authorization, …) is fatal: retrying cannot help.
   */
  async #failed(batch: OutgoingMessage[], error: unknown): Promise<void> {
    this.errorCount++
    // The batch is no longer in flight: it goes back into the queue (or is replaced), and must not be counted
    // twice, nor spooled twice by a close() during the retry pause.
    this.#inflight = []
    if (isTooLargeError(error)) {
      if (batch.length > 1) {
        this.#batchSize = Math.max(1, Math.floor(batch.length / 2))
        this.#queue.unshift(...batch)
        return
      }
      const [message] = batch as [OutgoingMessage]
      this.#queue.unshift(this.#oversized(message, describeKafkaError(error)))
      return
    }
    this.#queue.unshift(...batch)
    if (!isRetriable(error) && this.#onFatal) {
      this.#fatal = true
      // A refused login or certificate as the coded error that names the settings to check.
      const final = kafkaSecurityError(error) ?? (error as Error)
      this.#log.fatal({ err: final, reason: describeKafkaError(error) }, 'Kafka refused the feed for good')
      this.#onFatal(final)
      return
    }
    this.#log.warn(
      { err: error, reason: describeKafkaError(error), messages: batch.length, spooled: this.spooled },
      'producing failed, retrying'
    )
    await sleep(500)
  }

  /** The dead letter of a message the broker refuses as too large. */
  #oversized(message: OutgoingMessage, reason: string): OutgoingMessage {
    this.rejectedCount++
    this.#log.error(
      { topic: message.topic, key: message.key, bytes: message.value.length, reason },
      'message too large for Kafka: dead-lettered'
    )
    return this.#deadLetter({
      reason: `too large for ${message.topic}: ${reason}`,
      value: message.value,
      source_topic: message.topic,
      key: message.key ?? null
    })
  }

  /** A feed's dead letter (the shared envelope), cut to fit, addressed to the DLQ topic. */
  #deadLetter(fields: Omit<DeadLetterFields, 'origin' | 'instance_id' | 'failed_at'>): OutgoingMessage {
    const letter = deadLetterEnvelope({
      ...fields,
      origin: 'feed',
      instance_id: this.#instanceId,
      failed_at: Date.now()
    })
    return { topic: this.#topics.dlq, value: encodeDeadLetter(letter, FEED_LETTER_MAX_BYTES) }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
