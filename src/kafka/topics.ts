import type { Admin } from '@platformatic/kafka'
import { kafkaLibrary } from './library.ts'
import type { TopicsConfig } from '../config/types.ts'
import type { MessageType } from '../core/messages.ts'
import { describeError, ErrorCodes, TickbridgeError } from '../errors.ts'
import { brokerErrorNames } from './errors.ts'
import { kafkaSecurityError } from './security.ts'

/** The topic each canonical message type is produced to (docs/wire-format.md#topics). */
export function topicForType(topics: TopicsConfig, type: MessageType): string {
  return { trade: topics.trades, depth: topics.depth, quote: topics.quotes, candle: topics.candles }[type]
}

/** Creates the topics that do not exist yet (all with `partitions` partitions); existing ones are left alone. */
export async function ensureTopics(admin: Admin, topics: string[], partitions: number): Promise<string[]> {
  let existing: string[]
  try {
    existing = await admin.listTopics({ includeInternals: false })
  } catch (error) {
    // A refused login or certificate is no outage: say which settings to check, and do not retry.
    throw (
      kafkaSecurityError(error) ??
      new TickbridgeError(ErrorCodes.KAFKA_UNAVAILABLE, `Kafka is not answering: ${describeError(error)}`, {
        cause: error,
        retriable: true,
        hint: 'Start the local stack with `tickbridge stack up`, or check KAFKA_BROKERS.'
      })
    )
  }
  const missing = [...new Set(topics)].filter((topic) => !existing.includes(topic))
  if (missing.length === 0) return []
  try {
    await admin.createTopics({ topics: missing, partitions, replicas: -1 })
  } catch (error) {
    // Another process created them between list and create. Its metadata can lag behind the create (a
    // topic just made may not be listed yet), so "already exists" is the answer itself, not a failure.
    const names = brokerErrorNames(error)
    if (names.length > 0 && names.every((name) => name === 'TOPIC_ALREADY_EXISTS')) return []
    const now = await admin.listTopics({ includeInternals: false })
    if (missing.some((topic) => !now.includes(topic))) throw error
  }
  return missing
}

/** Kafka's default record-batch limit (`message.max.bytes`), used when a topic's cannot be read. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588

/** The largest record batch `topic` accepts (its `max.message.bytes`, which defaults to the broker's). */
export async function maxMessageBytes(admin: Admin, topic: string): Promise<number> {
  const described = await admin.describeConfigs({
    resources: [
      {
        resourceType: kafkaLibrary().ConfigResourceTypes.TOPIC,
        resourceName: topic,
        configurationKeys: ['max.message.bytes']
      }
    ]
  })
  const value = Number(described[0]?.configs.find((c) => c.name === 'max.message.bytes')?.value)
  return Number.isInteger(value) && value > 0 ? value : DEFAULT_MAX_MESSAGE_BYTES
}
