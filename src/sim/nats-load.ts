import type { NatsConnection } from 'nats'
import { pino } from 'pino'
import type { Config } from '../config/types.ts'
import { messageTypes, type MessageType } from '../core/messages.ts'
import { natsSubject } from '../feed/nats-fanout.ts'
import { topicForType } from '../kafka/topics.ts'
import { connectNats, ensureStream, natsUnavailable } from '../nats/jetstream.ts'
import type { OutgoingRecord } from './kafka-load.ts'

/**
 * Publishing canonical records to the live path's JetStream stream, for `loadtest` and `replay --via nats`: on the
 * subjects feeds publish on (`<prefix>.<type>.<exchange>.<symbol>`, feed/nats-fanout.ts), each acknowledged by
 * the stream (stored) before the send resolves. A send publishes its records pipelined, up to `WINDOW` awaiting
 * their acknowledgement at once, on one connection, so they are stored in the order given.
 */
const WINDOW = 5_000

export interface NatsPublisher {
  send(records: OutgoingRecord[]): Promise<void>
  close(): Promise<void>
}

/** The subject of a record for a topic of `config.topics` and its key `exchange:symbol` (pure). */
export function subjectMapper(config: Pick<Config, 'topics' | 'nats'>): (record: OutgoingRecord) => string {
  const typeOf = new Map<string, MessageType>(messageTypes.map((t) => [topicForType(config.topics, t), t]))
  const cache = new Map<string, string>()
  return (record) => {
    const cacheKey = `${record.topic}\u0000${record.key}`
    let subject = cache.get(cacheKey)
    if (subject === undefined) {
      const type = typeOf.get(record.topic)
      if (!type) throw new Error(`${record.topic} is not a topic of a message type`)
      const colon = record.key.indexOf(':')
      subject = natsSubject(
        { type, exchange: record.key.slice(0, colon), symbol: record.key.slice(colon + 1) },
        config.nats.subjectPrefix
      )
      cache.set(cacheKey, subject)
    }
    return subject
  }
}

export async function openNatsPublisher(config: Config, clientId: string): Promise<NatsPublisher> {
  const connection: NatsConnection = await connectNats(config.nats.url, clientId)
  try {
    // Created where missing, as a bridge would: messages sent before any bridge reads are kept for it.
    await ensureStream(await connection.jetstreamManager(), config.nats, pino({ level: 'silent' }))
  } catch (error) {
    await connection.close().catch(() => undefined)
    throw error
  }
  const js = connection.jetstream()
  const subjectOf = subjectMapper(config)
  return {
    async send(records) {
      try {
        for (let i = 0; i < records.length; i += WINDOW) {
          const window = records.slice(i, i + WINDOW)
          await Promise.all(window.map((r) => js.publish(subjectOf(r), r.value)))
        }
      } catch (error) {
        throw natsUnavailable(
          `JetStream did not store the messages published on ${config.nats.stream}`,
          error
        )
      }
    },
    async close() {
      await connection.drain().catch(() => connection.close())
    }
  }
}
