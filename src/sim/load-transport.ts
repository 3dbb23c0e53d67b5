import type { Config } from '../config/types.ts'
import { ErrorCodes, TickbridgeError } from '../errors.ts'
import { createAdmin, createProducer, partitionForKey } from '../kafka/clients.ts'
import { ensureTopics } from '../kafka/topics.ts'
import { openNatsPublisher } from './nats-load.ts'
import type { OutgoingRecord } from './kafka-load.ts'

/**
 * How `loadtest` and `replay` deliver canonical messages: to Kafka's topics, or to the live path's JetStream
 * stream on the feeds' NATS subjects (sim/nats-load.ts), each send acknowledged before the next.
 */
export const Vias = ['kafka', 'nats'] as const
export type Via = (typeof Vias)[number]

export interface LoadTransport {
  readonly via: Via
  send(records: OutgoingRecord[]): Promise<void>
  /** Every `topic:partition` of the topics it was opened for (empty where there are no partitions). */
  readonly partitions: string[]
  /** The `topic:partition` a record goes to, where the transport has partitions. */
  partitionOf(record: OutgoingRecord): string | null
  close(): Promise<void>
}

type TransportFactory = (config: Config, clientId: string, topics: string[]) => Promise<LoadTransport>

const transports: Record<Via, TransportFactory> = { kafka: openKafka, nats: openNats }

export function parseVia(value: string): Via {
  if (!(Vias as readonly string[]).includes(value))
    throw new TickbridgeError(
      ErrorCodes.INVALID_ARGUMENT,
      `--via must be one of ${Vias.join(', ')}, got "${value}"`,
      {
        hint: 'Use --via kafka or --via nats.'
      }
    )
  return value as Via
}

export async function openTransport(
  config: Config,
  via: Via,
  clientId: string,
  topics: string[]
): Promise<LoadTransport> {
  const open = transports[via]
  return open(config, clientId, topics)
}

async function openKafka(config: Config, clientId: string, topics: string[]): Promise<LoadTransport> {
  const admin = createAdmin(config.kafka)
  await ensureTopics(admin, topics, config.topics.partitions).finally(() => admin.close())
  const producer = createProducer(config.kafka, clientId)
  let counts: Map<string, number>
  try {
    const metadata = await producer.metadata({ topics })
    counts = new Map(topics.map((t) => [t, metadata.topics.get(t)?.partitionsCount ?? 1]))
  } catch (error) {
    await producer.close().catch(() => undefined)
    throw new TickbridgeError(
      ErrorCodes.KAFKA_UNAVAILABLE,
      `cannot read the metadata of ${topics.join(', ')}`,
      {
        cause: error,
        retriable: true,
        hint: 'Start the local stack with `tickbridge stack up`, or check KAFKA_BROKERS.'
      }
    )
  }
  const byKey = new Map<string, string>()
  return {
    via: 'kafka',
    partitions: topics.flatMap((t) => Array.from({ length: counts.get(t) ?? 1 }, (_, p) => `${t}:${p}`)),
    async send(records) {
      await producer.send({ messages: records })
    },
    partitionOf(record) {
      const cacheKey = `${record.topic}\u0000${record.key}`
      let partition = byKey.get(cacheKey)
      if (partition === undefined) {
        partition = `${record.topic}:${partitionForKey(record.key, counts.get(record.topic) ?? 1)}`
        byKey.set(cacheKey, partition)
      }
      return partition
    },
    close: () => producer.close()
  }
}

/** NATS has no partitions: which bridge took a message is known only from their heartbeats (ops/load-shares.ts). */
async function openNats(config: Config, clientId: string): Promise<LoadTransport> {
  const publisher = await openNatsPublisher(config, clientId)
  return {
    via: 'nats',
    partitions: [],
    send: (records) => publisher.send(records),
    partitionOf: () => null,
    close: () => publisher.close()
  }
}
