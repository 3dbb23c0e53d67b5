import { createInbox, type NatsConnection } from 'nats'
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
 * the stream (stored) before the send resolves. A send publishes all its records at once (pipelined, in order on
 * one connection), each with the batch's own reply subject, and resolves when the stream has acknowledged every
 * one: one subscription counts the acknowledgements, instead of the client's request per message (a promise, an
 * inbox entry and a timer each: 4,700 msg/s where this reaches several times that on the same machine).
 */
const ACK_TIMEOUT_MS = 30_000

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
  const subjectOf = subjectMapper(config)
  const inbox = createInbox()
  let waiting: { batch: number; left: number; resolve: () => void; reject: (error: Error) => void } | null =
    null
  let batches = 0
  connection.subscribe(`${inbox}.*`, {
    callback: (error, message) => {
      const batch = waiting
      // An acknowledgement of an abandoned batch (timed out) is ignored.
      if (!batch || message.subject !== `${inbox}.${batch.batch}`) return
      if (error || !isPubAck(message.data)) {
        batch.reject(
          error ?? new Error(new TextDecoder().decode(message.data) || 'no stream took the message')
        )
        return
      }
      if (--batch.left === 0) batch.resolve()
    }
  })
  return {
    async send(records) {
      if (records.length === 0) return
      const batch = ++batches
      const reply = `${inbox}.${batch}`
      const acknowledged = new Promise<void>((resolve, reject) => {
        waiting = { batch, left: records.length, resolve, reject }
      })
      const timer = setTimeout(
        () => waiting?.reject(new Error(`no acknowledgement within ${ACK_TIMEOUT_MS} ms`)),
        ACK_TIMEOUT_MS
      )
      try {
        for (const record of records) connection.publish(subjectOf(record), record.value, { reply })
        await acknowledged
      } catch (error) {
        throw natsUnavailable(
          `JetStream did not store the messages published on ${config.nats.stream}`,
          error
        )
      } finally {
        clearTimeout(timer)
        waiting = null
      }
    },
    async close() {
      await connection.drain().catch(() => connection.close())
    }
  }
}

const PUB_ACK = new TextEncoder().encode('{"stream":')

/** Whether a reply is a stream's acknowledgement (`{"stream":…,"seq":…}`), not an error or a "no responders". */
export function isPubAck(data: Uint8Array): boolean {
  if (data.length < PUB_ACK.length) return false
  for (let i = 0; i < PUB_ACK.length; i++) if (data[i] !== PUB_ACK[i]) return false
  return true
}
