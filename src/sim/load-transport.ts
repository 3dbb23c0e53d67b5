import type { Config } from '../config/types.ts'
import { ErrorCodes, TickbridgeError } from '../errors.ts'
import { createAdmin, createProducer, partitionForKey } from '../kafka/clients.ts'
import { ensureTopics } from '../kafka/topics.ts'
import type { OutgoingRecord } from './kafka-load.ts'
import { chooseLoadClient, startKcat, type KcatSender, type LoadClient } from './kcat-sender.ts'
import { openNatsPublisher } from './nats-load.ts'

/**
 * How `loadtest` and `replay` deliver canonical messages: to Kafka's topics, or to the live path's JetStream
 * stream on the feeds' NATS subjects (sim/nats-load.ts), each send acknowledged before the next.
 */
export const Vias = ['kafka', 'nats'] as const
export type Via = (typeof Vias)[number]

export interface LoadTransport {
  readonly via: Via
  /** Who produces: `kcat` or `node` for Kafka, `nats` for NATS. */
  readonly client: 'kcat' | 'node' | 'nats'
  send(records: OutgoingRecord[]): Promise<void>
  /**
   * Resolves once everything sent so far is acknowledged by the broker. `send` already waits for that, except
   * with kcat: its `send` resolves once kcat took the records, and `flush` closes kcat and waits for its exit.
   */
  flush(): Promise<void>
  /** Every `topic:partition` of the topics it was opened for (empty where there are no partitions). */
  readonly partitions: string[]
  /** The `topic:partition` a record goes to, where the transport has partitions. */
  partitionOf(record: OutgoingRecord): string | null
  close(): Promise<void>
}

type TransportFactory = (
  config: Config,
  clientId: string,
  topics: string[],
  client: LoadClient
) => Promise<LoadTransport>

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
  topics: string[],
  client: LoadClient = 'node'
): Promise<LoadTransport> {
  const open = transports[via]
  return open(config, clientId, topics, client)
}

async function openKafka(
  config: Config,
  clientId: string,
  topics: string[],
  client: LoadClient
): Promise<LoadTransport> {
  const useKcat = chooseLoadClient(config.kafka, client) === 'kcat'
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
  let kcats: Map<string, KcatSender> | null = null
  if (useKcat) {
    // The producer was only needed for the metadata; kcat partitions by the same murmur2 of the key.
    await producer.close()
    kcats = new Map(topics.map((topic) => [topic, startKcat(config.kafka, topic, KCAT_LINGER_MS)]))
  }
  const flushKcats = async () => {
    if (kcats) await Promise.all([...kcats.values()].map((k) => k.close()))
  }
  return {
    via: 'kafka',
    client: kcats ? 'kcat' : 'node',
    partitions: topics.flatMap((t) => Array.from({ length: counts.get(t) ?? 1 }, (_, p) => `${t}:${p}`)),
    async send(records) {
      if (!kcats) return void (await producer.send({ messages: records }))
      const byTopic = new Map<string, OutgoingRecord[]>()
      for (const record of records) {
        const batch = byTopic.get(record.topic)
        if (batch) batch.push(record)
        else byTopic.set(record.topic, [record])
      }
      await Promise.all([...byTopic].map(([topic, batch]) => (kcats.get(topic) as KcatSender).send(batch)))
    },
    flush: flushKcats,
    partitionOf(record) {
      const cacheKey = `${record.topic}\u0000${record.key}`
      let partition = byKey.get(cacheKey)
      if (partition === undefined) {
        partition = `${record.topic}:${partitionForKey(record.key, counts.get(record.topic) ?? 1)}`
        byKey.set(cacheKey, partition)
      }
      return partition
    },
    close: () => (kcats ? flushKcats() : producer.close())
  }
}

/** How long kcat gathers records into a batch; the load is sent every 10 ms tick anyway. */
const KCAT_LINGER_MS = 5

/** NATS has no partitions: which bridge took a message is known only from their heartbeats (ops/load-shares.ts). */
async function openNats(config: Config, clientId: string): Promise<LoadTransport> {
  const publisher = await openNatsPublisher(config, clientId)
  return {
    via: 'nats',
    client: 'nats',
    partitions: [],
    send: (records) => publisher.send(records),
    flush: async () => undefined,
    partitionOf: () => null,
    close: () => publisher.close()
  }
}
