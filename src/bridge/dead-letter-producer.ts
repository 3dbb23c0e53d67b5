import type { StringProducer } from '../kafka/clients.ts'
import type { DeadLetter, DeadLetterSink } from './ports.ts'

/**
 * Dead letters go to the DLQ topic with the reason and where they came from, in the value (JSON) and in
 * headers, keyed like the original so they keep its partitioning. The original value is kept as text.
 */
export class DeadLetterProducer implements DeadLetterSink {
  readonly #producer: StringProducer
  readonly #topic: string
  readonly #instanceId: string

  constructor(producer: StringProducer, topic: string, instanceId: string) {
    this.#producer = producer
    this.#topic = topic
    this.#instanceId = instanceId
  }

  /** Sends are chained: overlapping sends on an idempotent @platformatic/kafka producer can lose messages. */
  #last: Promise<unknown> = Promise.resolve()

  send(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return Promise.resolve()
    const sent = this.#last.then(() => this.#send(letters))
    this.#last = sent.catch(() => undefined)
    return sent
  }

  async #send(letters: DeadLetter[]): Promise<void> {
    const failedAt = Date.now()
    await this.#producer.send({
      messages: letters.map(({ reason, source }) => {
        const key = source.key?.toString('utf8')
        return {
          topic: this.#topic,
          ...(key === undefined ? {} : { key }),
          value: JSON.stringify({
            reason,
            source_topic: source.topic,
            partition: source.partition,
            offset: source.offset.toString(),
            key: key ?? null,
            value: source.value?.toString('utf8') ?? null,
            instance_id: this.#instanceId,
            failed_at: failedAt
          }),
          headers: {
            'tb-reason': reason.slice(0, 512),
            'tb-source': `${source.topic}:${source.partition}:${source.offset}`
          }
        }
      })
    })
  }
}
