import type { Logger } from 'pino'
import { messageKey, type MarketMessage, type MessageType } from '../core/messages.ts'
import type { TopicsConfig } from '../config/types.ts'
import type { StringProducer } from '../kafka/clients.ts'
import type { NatsFanout } from './nats-fanout.ts'

/**
 * Produces a feed's canonical messages to Kafka, keyed exchange:symbol, in batches (every `lingerMs` or
 * `maxBatch` messages) with ONE send in flight: the idempotent producer loses messages when sends overlap.
 * Frames that could not be mapped go to the dead-letter topic with the raw frame and the reason.
 */
export class FeedPublisher {
  readonly counts = new Map<string, number>()
  rejectedCount = 0
  /** Failed sends (each retried). */
  errorCount = 0
  readonly #producer: StringProducer
  readonly #topics: TopicsConfig
  readonly #log: Logger
  readonly #instanceId: string
  #queue: { topic: string; key?: string; value: string }[] = []
  #sending: Promise<void> | null = null
  /** Messages of the send in flight (back in the queue if it fails). */
  #inflight = 0
  #closed = false
  #timer: NodeJS.Timeout | null = null
  readonly #lingerMs = 20
  readonly #maxBatch = 2000

  constructor(producer: StringProducer, topics: TopicsConfig, instanceId: string, log: Logger) {
    this.#producer = producer
    this.#topics = topics
    this.#instanceId = instanceId
    this.#log = log
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
    this.#enqueue({
      topic: this.#topics.dlq,
      value: JSON.stringify({
        reason,
        source: 'feed',
        exchange,
        frame,
        instance_id: this.#instanceId,
        failed_at: Date.now()
      })
    })
  }

  /** Messages waiting to be produced. */
  get queued(): number {
    return this.#queue.length + this.#inflight
  }

  /** Sends what is queued and waits for it (at most `timeoutMs`); returns how many messages are still unsent. */
  async flush(timeoutMs = Number.POSITIVE_INFINITY): Promise<number> {
    const deadline = Date.now() + timeoutMs
    while ((this.#queue.length > 0 || this.#sending) && Date.now() < deadline && !this.#closed) {
      if (this.#sending) await this.#sending
      else this.#send()
    }
    return this.#queue.length + this.#inflight
  }

  #topicFor(type: MessageType): string {
    return {
      trade: this.#topics.trades,
      depth: this.#topics.depth,
      quote: this.#topics.quotes,
      candle: this.#topics.candles
    }[type]
  }

  #enqueue(entry: { topic: string; key?: string; value: string }): void {
    this.#queue.push(entry)
    if (this.#queue.length >= this.#maxBatch) this.#send()
    else this.#timer ??= setTimeout(() => this.#send(), this.#lingerMs)
  }

  /** Stops sending (the producer is about to close); what is still queued is given up. */
  close(): void {
    this.#closed = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
  }

  #send(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    if (this.#closed || this.#sending || this.#queue.length === 0) return
    const batch = this.#queue.splice(0, this.#maxBatch)
    this.#inflight = batch.length
    this.#sending = this.#producer
      .send({ messages: batch })
      .then(
        () => undefined,
        (error: unknown) => {
          // Kept and retried: the batch goes back to the front of the queue.
          this.#queue.unshift(...batch)
          this.errorCount++
          this.#log.warn(
            { err: (error as Error).message, messages: batch.length },
            'producing failed, retrying'
          )
          return new Promise<void>((resolve) => setTimeout(resolve, 500))
        }
      )
      .finally(() => {
        this.#sending = null
        this.#inflight = 0
        if (this.#queue.length > 0) this.#send()
      })
  }
}
