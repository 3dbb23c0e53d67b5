import type { Admin, Consumer, MessagesStream, Producer } from '@platformatic/kafka'
import { kafkaLibrary } from './library.ts'
import type { KafkaConfig } from '../config/types.ts'
import { ErrorCodes, TickbridgeError } from '../errors.ts'
import { balancedPerTopicAssigner } from './partition-assigner.ts'
import { connectionSecurity } from './security.ts'

/**
 * The one place Kafka clients are built (@platformatic/kafka, see docs/decisions/kafka-client.md).
 * Keys and values are strings on the way out; the bridge reads raw Buffers and parses JSON itself.
 */
export type StringProducer = Producer<string, string, string, string>
export type BufferConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>
/** A BufferConsumer's consume stream. */
export type ConsumeStream = MessagesStream<Buffer, Buffer, Buffer, Buffer>

/** What every client shares, its TLS and SASL options (KAFKA_SECURITY_PROTOCOL, …: ./security.ts) included. */
const common = (config: KafkaConfig, clientId: string) => ({
  clientId,
  bootstrapBrokers: config.brokers,
  ...connectionSecurity(config),
  connectTimeout: 5_000,
  retries: 5,
  retryDelay: 500
})

/**
 * An idempotent producer. Overlapping send()s are safe on 2.x (they lost messages on 1.35; re-checked in
 * docs/decisions/kafka-client.md and test/kafka/client-workarounds.int.test.ts).
 */
export function createProducer(config: KafkaConfig, clientId: string): StringProducer {
  const { Producer, stringSerializers, ProduceAcks, compatibilityPartitioner } = kafkaLibrary()
  return new Producer({
    ...common(config, clientId),
    serializers: stringSerializers,
    idempotent: true,
    acks: ProduceAcks.ALL,
    // Java's murmur2 partitioning: a key lands in the same partition whichever client (kcat, Java, Go) produced it.
    partitioner: compatibilityPartitioner,
    autocreateTopics: false
  })
}

export interface ConsumerOptions {
  groupId: string
  clientId: string
  /** KIP-345 static membership id: a restarted instance gets its partitions back without a rebalance. */
  groupInstanceId?: string
}

export function createConsumer(config: KafkaConfig, options: ConsumerOptions): BufferConsumer {
  return rejoinOnlyFromHeartbeat(
    new (kafkaLibrary().Consumer)({
      ...common(config, options.clientId),
      groupId: options.groupId,
      ...(options.groupInstanceId ? { groupInstanceId: options.groupInstanceId } : {}),
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: config.heartbeatIntervalMs,
      rebalanceTimeout: Math.max(config.sessionTimeoutMs, 10_000),
      // Heartbeats failing this long = the member is lost (the bridge's KafkaSource then rebuilds it).
      heartbeatStallTimeout: config.sessionTimeoutMs,
      partitionAssigner: balancedPerTopicAssigner,
      autocommit: false,
      maxWaitTime: config.fetchMaxWaitMs,
      minBytes: config.fetchMinBytes,
      maxBytes: 2 * 1024 * 1024
    })
  )
}

/**
 * @platformatic/kafka 1.35 answers a commit refused for group reasons (REBALANCE_IN_PROGRESS,
 * ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID) by calling joinGroup({}) itself, beside the rejoin its heartbeat
 * already performs. When that second JoinGroup reaches a group that has just settled, the coordinator
 * starts another rebalance; commits sent meanwhile are refused again and start another join. Under load a
 * group caught in this loop rebalanced every second for 30 s and more, its members never consuming (the
 * kill -9 failover test, CI 2026-11-23). The heartbeat alone is enough to rejoin, so the commit path's
 * join is refused here: the commit fails, and the bridge's committer retries it once the group settles.
 * Only the commit path calls joinGroup with empty options; consume() passes its own.
 */
function rejoinOnlyFromHeartbeat(consumer: BufferConsumer): BufferConsumer {
  const join = consumer.joinGroup.bind(consumer) as (options?: object, callback?: unknown) => unknown
  const guarded = (options?: object, callback?: (error: Error | null) => void) => {
    if (callback && options && Object.keys(options).length === 0) {
      callback(
        new TickbridgeError(
          ErrorCodes.KAFKA_REBALANCING,
          'commit refused while the group rebalances; the heartbeat rejoins the group',
          { retriable: true }
        )
      )
      return
    }
    return join(options, callback)
  }
  return Object.assign(consumer, { joinGroup: guarded as unknown as BufferConsumer['joinGroup'] })
}

export function createAdmin(config: KafkaConfig, clientId = 'tickbridge-admin'): Admin {
  return new (kafkaLibrary().Admin)(common(config, clientId))
}

/**
 * The partition the producers above choose for `key` in a topic of `partitions` partitions (Java's murmur2,
 * as `compatibilityPartitioner`, then modulo the partition count as the client does).
 */
export function partitionForKey(key: string, partitions: number): number {
  return kafkaLibrary().compatibilityPartitioner(undefined as never, Buffer.from(key)) % partitions
}
