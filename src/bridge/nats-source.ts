import { randomInt } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  ConsumerEvents,
  Events,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection
} from 'nats'
import type { Logger } from 'pino'
import type { NatsConfig } from '../config/types.ts'
import { backoffMs } from '../core/insert-errors.ts'
import { partitionKey, type CommitPosition, type PartitionKey } from '../core/offset-tracker.ts'
import type { MessageType } from '../core/messages.ts'
import { PendingAcks } from '../core/pending-acks.ts'
import { settleWithin } from '../settle-within.ts'
import { ErrorCodes, isTickbridgeError, TickbridgeError } from '../errors.ts'
import {
  displayNatsUrl,
  connectNats,
  consumerName,
  ensureConsumers,
  ensureStream,
  isRedelivery,
  natsUnavailable
} from '../nats/jetstream.ts'
import type { SourceState } from './kafka-source.ts'
import type { MessageSource, SourceMessage } from './ports.ts'

export interface NatsSourceOptions {
  nats: NatsConfig
  /** The connection's name on the server. */
  instanceId: string
  /** The types it reads (its worker pool's): one durable consumer each (nats/jetstream.ts consumerConfig). */
  types: readonly MessageType[]
  log: Logger
  /** NATS closed the connection for good (no reconnect follows): the process should exit non-zero with it. */
  onFatal?: (error: Error) => void
}

/**
 * Messages requested per pull. The client asks for more when three quarters arrived, and only while the
 * worker takes them (a paused bridge stops pulling), so a paused bridge holds at most this many unread.
 */
const PULL_BATCH = 1_000
const CLOSE_TIMEOUT_MS = 3_000
/** What the consume loop reports when the consumer or its stream was deleted. */
const GONE = new Set<string>([
  ConsumerEvents.ConsumerDeleted,
  ConsumerEvents.ConsumerNotFound,
  ConsumerEvents.StreamNotFound
])

/**
 * MessageSource over JetStream durable pull consumers, one per message type it reads, each shared by every bridge
 * reading that type: the server hands each message to one of them (a work queue), and redelivers it when it is
 * not acknowledged within the ack wait.
 *
 * NATS has no partitions or offsets, so this source presents its deliveries to the offset tracker as one
 * partition of its own, `nats:<stream>` with a number drawn for this run, numbered in arrival order
 * (core/pending-acks.ts). What the worker "commits" for that partition is acknowledged: every delivery below the
 * commit position is in a batch whose rows ClickHouse (or whose dead letters Kafka) acknowledged. Until then the
 * source keeps the message's lease alive (`working`), however long the insert retries; a bridge that dies stops
 * renewing, and its messages go to the others after the ack wait. The run's own partition number keeps insert
 * deduplication tokens (`nats:<stream>:<n>:<first>-<last>`) from ever matching another run's different rows.
 */
export class NatsSource implements MessageSource {
  readonly topic: string
  readonly partition = randomInt(1, 2 ** 31 - 1)
  readonly #key: PartitionKey
  readonly #owned: Set<PartitionKey>
  readonly #options: NatsSourceOptions
  readonly #log: Logger
  readonly #pending = new PendingAcks<JsMsg>()
  #connection: NatsConnection | null = null
  #jsm: JetStreamManager | null = null
  readonly #messages = new Set<ConsumerMessages>()
  #loops: Promise<void>[] = []
  #renewTimer: NodeJS.Timeout | null = null
  #state: SourceState = 'starting'
  #paused = false
  #wake: (() => void)[] = []
  #troubleSince: number | null = null
  #received = 0
  #redelivered = 0
  #acked = 0

  constructor(options: NatsSourceOptions) {
    this.#options = options
    this.#log = options.log
    this.topic = `nats:${options.nats.stream}`
    this.#key = partitionKey({ topic: this.topic, partition: this.partition })
    this.#owned = new Set([this.#key])
  }

  /** The durable consumers it reads, one per type. */
  get consumers(): string[] {
    return this.#options.types.map((type) => consumerName(this.#options.nats, type))
  }

  get state(): SourceState {
    return this.#state
  }

  /** Messages received from NATS (redeliveries included), since start. */
  get received(): number {
    return this.#received
  }

  /** Of those, messages the server delivered again (after an ack wait ran out, or a bridge gave them back). */
  get redelivered(): number {
    return this.#redelivered
  }

  get acknowledged(): number {
    return this.#acked
  }

  /** Messages read and not yet acknowledged. */
  get unacknowledged(): number {
    return this.#pending.size
  }

  /** Epoch ms since the connection to NATS is down; null while connected. */
  get troubleSince(): number | null {
    return this.#troubleSince
  }

  async start(onMessage: (message: SourceMessage) => void): Promise<void> {
    const { nats, instanceId } = this.#options
    const connection = await connectNats(nats.url, instanceId)
    this.#connection = connection
    try {
      this.#jsm = await connection.jetstreamManager()
      await ensureStream(this.#jsm, nats, this.#log)
      await ensureConsumers(this.#jsm, nats, this.#options.types, this.#log)
    } catch (error) {
      await connection.close().catch(() => undefined)
      throw isTickbridgeError(error)
        ? error
        : natsUnavailable(`NATS at ${displayNatsUrl(nats.url)} has no JetStream`, error)
    }
    void this.#watchConnection(connection)
    void this.#watchClosed(connection)
    this.#state = 'consuming'
    this.#loops = this.#options.types.map((type) => this.#consume(connection, type, onMessage))
    // Renew the leases of held messages well before the ack wait runs out.
    const every = Math.max(100, Math.floor(nats.ackWaitMs / 8))
    this.#renewTimer = setInterval(() => this.#renew(nats.ackWaitMs / 4), every).unref()
    this.#log.info(
      { stream: nats.stream, consumers: this.consumers, url: displayNatsUrl(nats.url) },
      'consuming the durable NATS consumers'
    )
  }

  /** Reads the consumer until closed; a consume that ends by error is started again, with backoff. */
  async #consume(
    connection: NatsConnection,
    type: MessageType,
    onMessage: (message: SourceMessage) => void
  ): Promise<void> {
    const { nats } = this.#options
    const js = connection.jetstream()
    for (let attempt = 0; !this.#closed(); attempt++) {
      let messages: ConsumerMessages | null = null
      try {
        const consumer = await js.consumers.get(nats.stream, consumerName(nats, type))
        messages = await consumer.consume({ max_messages: PULL_BATCH })
        this.#messages.add(messages)
        void this.#watchConsumer(messages)
        for await (const message of messages) {
          attempt = 0
          if (this.#paused) await new Promise<void>((resolve) => this.#wake.push(resolve))
          if (this.#closed()) {
            nakQuietly(message) // not read: to another bridge now rather than after the ack wait
            continue
          }
          this.#deliver(message, onMessage)
        }
      } catch (error) {
        if (this.#closed()) return
        this.#log.warn({ err: error, attempt: attempt + 1, type }, 'NATS consume failed; starting it again')
      } finally {
        if (messages) this.#messages.delete(messages)
      }
      if (this.#closed()) return
      await sleep(backoffMs(attempt + 3, 10_000))
      await this.#ensureConsumer()
    }
  }

  /** A method, not a field read: the state changes across the awaits of the consume loop. */
  #closed(): boolean {
    return this.#state === 'closed' || this.#state === 'failed'
  }

  /**
   * The client closes a connection itself when reconnecting cannot help (the server refused the credentials
   * twice in a row): nothing would ever be consumed again, so the bridge is told to exit instead of sitting
   * alive and not ready for ever.
   */
  async #watchClosed(connection: NatsConnection): Promise<void> {
    const error = await connection.closed()
    if (this.#state === 'closed') return
    this.#state = 'failed'
    this.#options.onFatal?.(
      new TickbridgeError(
        ErrorCodes.NATS_UNAVAILABLE,
        `NATS closed the bridge's connection for good${error ? `: ${error.message}` : ''}`,
        {
          cause: error,
          hint: 'Check the credentials in NATS_URL and that the server accepts this client, then start the bridge again.'
        }
      )
    )
  }

  #deliver(message: JsMsg, onMessage: (message: SourceMessage) => void): void {
    this.#received++
    // The implementation's ack subject when it has one; else the client's own (slower) parse.
    const reply = (message as Partial<{ readonly reply: string }>).reply
    if (reply === undefined ? message.redelivered : isRedelivery(reply)) this.#redelivered++
    const offset = this.#pending.hold(message, Date.now())
    const data = message.data
    onMessage({
      topic: this.topic,
      partition: this.partition,
      offset,
      // The subject says where it came from (a dead letter is keyed by it).
      key: Buffer.from(message.subject),
      value: Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    })
  }

  /**
   * The stream or consumer deleted under a running bridge (a reset, an operator): make both again, and pull
   * afresh (the pull requests in flight went to the deleted consumer). The new consumer delivers again what the
   * stream still holds; the tables absorb what was already written.
   */
  async #watchConsumer(messages: ConsumerMessages): Promise<void> {
    for await (const status of await messages.status()) {
      if (!GONE.has(status.type)) continue
      this.#log.warn({ event: status.type }, 'the NATS stream or consumer is gone; creating it again')
      await this.#ensureConsumer()
      messages.stop() // the consume loop starts a new one
      return
    }
  }

  async #ensureConsumer(): Promise<void> {
    const jsm = this.#jsm
    if (!jsm || this.#state === 'closed') return
    try {
      await ensureStream(jsm, this.#options.nats, this.#log)
      await ensureConsumers(jsm, this.#options.nats, this.#options.types, this.#log)
    } catch (error) {
      this.#log.warn({ err: error }, 'could not make sure the NATS stream and consumer exist; retrying')
    }
  }

  async #watchConnection(connection: NatsConnection): Promise<void> {
    for await (const status of connection.status()) {
      if (status.type === Events.Disconnect) {
        this.#troubleSince ??= Date.now()
        if (this.#state === 'consuming') this.#state = 'reconnecting'
        this.#log.warn({ server: status.data }, 'NATS connection lost; reconnecting')
      } else if (status.type === Events.Reconnect) {
        const downMs = this.#troubleSince === null ? 0 : Date.now() - this.#troubleSince
        this.#troubleSince = null
        if (this.#state === 'reconnecting') this.#state = 'consuming'
        this.#log.info({ server: status.data, downMs }, 'NATS connection back')
      }
    }
  }

  /** Tells the server the held messages are still being worked on, so it does not redeliver them. */
  #renew(olderThanMs: number): void {
    if (this.#state !== 'consuming') return
    const now = Date.now()
    for (const message of this.#pending.due(now - olderThanMs, now)) message.working()
  }

  pause(): void {
    this.#paused = true
  }

  resume(): void {
    this.#paused = false
    const wake = this.#wake
    this.#wake = []
    for (const resolve of wake) resolve()
  }

  /** Acknowledges every delivery below the position of this source's partition (fire and forget: a lost
   * acknowledgement only means a redelivery, which the tables absorb). */
  commit(positions: CommitPosition[]): Promise<void> {
    for (const position of positions) {
      if (position.topic !== this.topic || position.partition !== this.partition) continue
      for (const message of this.#pending.takeBelow(position.offset)) {
        try {
          message.ack()
          this.#acked++
        } catch {
          // The connection is closed: the server redelivers it after the ack wait.
        }
      }
    }
    return Promise.resolve()
  }

  ownedPartitions(): Set<PartitionKey> {
    return this.#owned
  }

  /** Stops reading; what is still held (batches not written) goes back to the server for another bridge. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return
    this.#state = 'closed'
    if (this.#renewTimer) clearInterval(this.#renewTimer)
    this.resume()
    for (const messages of this.#messages) messages.stop()
    for (const message of this.#pending.takeAll()) nakQuietly(message)
    const connection = this.#connection
    if (!connection) return
    await settleWithin(Promise.all(this.#loops), CLOSE_TIMEOUT_MS)
    // Send the last acknowledgements before closing.
    await settleWithin(connection.flush(), CLOSE_TIMEOUT_MS)
    await connection.close().catch(() => undefined)
  }
}

/** Gives a message back for redelivery now; on a closed connection the ack wait does it later. */
function nakQuietly(message: JsMsg): void {
  try {
    message.nak()
  } catch {
    // closed: redelivered after the ack wait
  }
}
