import {
  deadLetterEnvelope,
  encodeDeadLetter,
  groupBySize,
  RECORD_OVERHEAD_BYTES
} from '../core/dead-letter.ts'
import { ErrorCodes, isRetriable, TickbridgeError } from '../errors.ts'
import type { StringProducer } from '../kafka/clients.ts'
import { describeKafkaError, isTooLargeError } from '../kafka/errors.ts'
import type { DeadLetter, DeadLetterSink } from './ports.ts'

interface Record {
  topic: string
  key?: string
  value: string
  headers: { 'tb-reason': string; 'tb-source': string }
}

/** A letter is never cut below this: if the broker refuses even that, the DLQ topic itself is misconfigured. */
const MIN_LETTER_BYTES = 4_096

/**
 * Dead letters go to the DLQ topic with the reason and where they came from, in the value (the envelope of
 * core/dead-letter.ts) and in headers, keyed like the original so they keep its partitioning.
 *
 * Sized to the broker: `maxMessageBytes` is the DLQ topic's `max.message.bytes` (read at start). Letters are
 * sent in groups that fit it, a letter too big alone is truncated (reason and origin kept, marked), and should
 * the broker still answer MESSAGE_TOO_LARGE the group is halved, down to one letter cut smaller. Any other
 * permanent broker answer is raised as a non-retriable TickbridgeError: retrying it would stall the partition.
 */
export class DeadLetterProducer implements DeadLetterSink {
  readonly #producer: StringProducer
  readonly #topic: string
  readonly #instanceId: string
  readonly #maxMessageBytes: number

  constructor(producer: StringProducer, topic: string, instanceId: string, maxMessageBytes: number) {
    this.#producer = producer
    this.#topic = topic
    this.#instanceId = instanceId
    this.#maxMessageBytes = maxMessageBytes
  }

  async send(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return
    const failedAt = Date.now()
    const letterMax = this.#maxMessageBytes - RECORD_OVERHEAD_BYTES
    const records = letters.map((letter) => this.#record(letter, failedAt, letterMax))
    for (const group of groupBySize(records, (r) => Buffer.byteLength(r.value), this.#maxMessageBytes))
      await this.#sendFitting(group, letters, failedAt, letterMax)
  }

  /** Sends `records`; a MESSAGE_TOO_LARGE answer halves the group, or cuts a lone letter smaller. */
  async #sendFitting(
    records: Record[],
    letters: DeadLetter[],
    failedAt: number,
    letterMax: number
  ): Promise<void> {
    try {
      await this.#producer.send({ messages: records })
    } catch (error) {
      const tooLarge = isTooLargeError(error)
      if (tooLarge && records.length > 1) {
        const half = Math.ceil(records.length / 2)
        await this.#sendFitting(records.slice(0, half), letters, failedAt, letterMax)
        await this.#sendFitting(records.slice(half), letters, failedAt, letterMax)
        return
      }
      if (tooLarge && letterMax / 2 >= MIN_LETTER_BYTES) {
        const source = records[0]?.headers['tb-source']
        const letter = letters.find((l) => sourceOf(l) === source)
        if (letter) {
          await this.#sendFitting(
            [this.#record(letter, failedAt, letterMax / 2)],
            letters,
            failedAt,
            letterMax / 2
          )
          return
        }
      }
      if (!isRetriable(error)) {
        throw new TickbridgeError(
          ErrorCodes.DLQ_REFUSED,
          `the dead-letter topic ${this.#topic} refused letters: ${describeKafkaError(error)}`,
          {
            cause: error,
            retriable: false,
            hint: `Check the topic's max.message.bytes and this client's rights on ${this.#topic}.`
          }
        )
      }
      throw error
    }
  }

  #record(letter: DeadLetter, failedAt: number, letterMax: number): Record {
    const { reason, source } = letter
    const key = source.key?.toString('utf8')
    const envelope = deadLetterEnvelope({
      reason,
      origin: 'bridge',
      source_topic: source.topic,
      partition: source.partition,
      offset: source.offset.toString(),
      key: key ?? null,
      value: source.value?.toString('utf8') ?? null,
      instance_id: this.#instanceId,
      failed_at: failedAt,
      value_bytes: source.value?.length ?? 0
    })
    return {
      topic: this.#topic,
      ...(key === undefined ? {} : { key }),
      value: encodeDeadLetter(envelope, letterMax),
      headers: { 'tb-reason': reason.slice(0, 512), 'tb-source': sourceOf(letter) }
    }
  }
}

function sourceOf({ source }: DeadLetter): string {
  return `${source.topic}:${source.partition}:${source.offset}`
}
