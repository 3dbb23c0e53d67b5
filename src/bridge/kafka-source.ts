import type { MessagesStream } from '@platformatic/kafka'
import type { Logger } from 'pino'
import { partitionKey, type CommitPosition, type PartitionKey } from '../core/offset-tracker.ts'
import type { BufferConsumer } from '../kafka/clients.ts'
import type { MessageSource, SourceMessage } from './ports.ts'

type Stream = MessagesStream<Buffer, Buffer, Buffer, Buffer>

/** MessageSource over a Kafka consumer-group member. Offsets are committed only by the worker, explicitly. */
export class KafkaSource implements MessageSource {
  readonly #consumer: BufferConsumer
  readonly #topics: string[]
  readonly #log: Logger
  #stream: Stream | null = null

  constructor(consumer: BufferConsumer, topics: string[], log: Logger) {
    this.#consumer = consumer
    this.#topics = topics
    this.#log = log
  }

  async start(onMessage: (message: SourceMessage) => void): Promise<void> {
    this.#consumer.on('consumer:group:join', (payload) => {
      const partitions = (payload.assignments ?? [])
        .map((a) => `${a.topic}[${a.partitions.join(',')}]`)
        .join(' ')
      this.#log.info(
        { memberId: payload.memberId, generation: payload.generationId },
        `assigned partitions: ${partitions || 'none (idle: more instances than partitions)'}`
      )
    })
    this.#consumer.on('consumer:group:rebalance', () => this.#log.info('consumer group rebalancing'))
    const stream = await this.#consumer.consume({
      topics: this.#topics,
      mode: 'committed',
      fallbackMode: 'earliest',
      autocommit: false,
      highWaterMark: 8192
    })
    stream.on('error', (error) => this.#log.error({ err: error }, 'Kafka consumer stream error'))
    // Kafka's message objects already have the SourceMessage shape: hand them on without copying.
    stream.on('data', onMessage)
    this.#stream = stream
  }

  pause(): void {
    this.#stream?.pause()
  }

  resume(): void {
    this.#stream?.resume()
  }

  async commit(positions: CommitPosition[]): Promise<void> {
    await this.#consumer.commit({
      offsets: positions.map((p) => ({
        topic: p.topic,
        partition: p.partition,
        offset: p.offset,
        leaderEpoch: -1
      }))
    })
  }

  ownedPartitions(): Set<PartitionKey> | undefined {
    const assignments = this.#consumer.assignments
    if (!assignments) return undefined
    const owned = new Set<PartitionKey>()
    for (const { topic, partitions } of assignments)
      for (const p of partitions) owned.add(partitionKey(topic, p))
    return owned
  }

  assignmentSummary(): string[] {
    return (this.#consumer.assignments ?? []).flatMap(({ topic, partitions }) =>
      partitions.map((p) => `${topic}:${p}`)
    )
  }

  async close(): Promise<void> {
    await this.#stream?.close().catch(() => undefined)
    await this.#consumer
      .close()
      .catch((error: unknown) => this.#log.warn({ err: error }, 'consumer close failed'))
  }
}
