import {
  Admin,
  compatibilityPartitioner,
  Consumer,
  Producer,
  ProduceAcks,
  stringDeserializers,
  stringSerializers
} from '@platformatic/kafka'
import type { KafkaConfig } from '../config/types.ts'
import { balancedPerTopicAssigner } from './partition-assigner.ts'

/**
 * The one place Kafka clients are built (@platformatic/kafka, see docs/decisions/kafka-client.md).
 * Keys and values are strings on the way out; the bridge reads raw Buffers and parses JSON itself.
 */
export type StringProducer = Producer<string, string, string, string>
export type BufferConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>

const common = (config: KafkaConfig, clientId: string) => ({
  clientId,
  bootstrapBrokers: config.brokers,
  connectTimeout: 5_000,
  retries: 5,
  retryDelay: 500
})

/**
 * An idempotent producer. Keep ONE send() in flight per producer: with idempotence, @platformatic/kafka
 * 1.35 silently drops messages when sends overlap (measured, docs/decisions/kafka-client.md).
 */
export function createProducer(config: KafkaConfig, clientId: string): StringProducer {
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
  return new Consumer({
    ...common(config, options.clientId),
    groupId: options.groupId,
    ...(options.groupInstanceId ? { groupInstanceId: options.groupInstanceId } : {}),
    sessionTimeout: config.sessionTimeoutMs,
    heartbeatInterval: config.heartbeatIntervalMs,
    rebalanceTimeout: Math.max(config.sessionTimeoutMs, 10_000),
    partitionAssigner: balancedPerTopicAssigner,
    autocommit: false,
    maxWaitTime: 100,
    minBytes: 1,
    maxBytes: 2 * 1024 * 1024
  })
}

export function createAdmin(config: KafkaConfig, clientId = 'tickbridge-admin'): Admin {
  return new Admin(common(config, clientId))
}

export { stringDeserializers }
