import { partitionKey, type PartitionKey } from '../core/offset-tracker.ts'
import { settleWithin } from '../settle-within.ts'
import type { BufferConsumer, ConsumeStream } from './clients.ts'

/** Helpers for a consumer-group member the bridge supervises (bridge/kafka-source.ts). */

const CLOSE_TIMEOUT_MS = 3_000

/** Messages in Kafka past this member's committed offsets, over the partitions it owns. */
export async function unreadMessages(consumer: BufferConsumer): Promise<bigint> {
  const assignments = consumer.assignments ?? []
  if (assignments.length === 0) return 0n
  const [ends, committed] = await Promise.all([
    consumer.listOffsets({ topics: assignments.map((a) => a.topic) }),
    consumer.listCommittedOffsets({ topics: assignments })
  ])
  let unread = 0n
  for (const { topic, partitions } of assignments) {
    for (const p of partitions) {
      const end = ends.get(topic)?.[p] ?? 0n
      const at = committed.get(topic)?.[p] ?? -1n
      if (end > (at < 0n ? 0n : at)) unread += end - (at < 0n ? 0n : at)
    }
  }
  return unread
}

/**
 * Closes a lost member without waiting on a broker that may be gone (no leave-group round trip), giving up
 * after CLOSE_TIMEOUT_MS.
 */
export async function closeQuietly(consumer: BufferConsumer, stream?: ConsumeStream | null): Promise<void> {
  const closing = (async () => {
    await stream?.close().catch(() => undefined)
    await consumer.close(true).catch(() => undefined)
  })()
  await settleWithin(closing, CLOSE_TIMEOUT_MS)
}

/** The partitions a member was assigned, as offset-tracker keys; undefined when it has no assignment yet. */
export function assignedKeys(consumer: BufferConsumer | null): Set<PartitionKey> | undefined {
  const assignments = consumer?.assignments
  if (!assignments) return undefined
  const owned = new Set<PartitionKey>()
  for (const { topic, partitions } of assignments)
    for (const partition of partitions) owned.add(partitionKey({ topic, partition }))
  return owned
}

/** How many partitions a member was assigned, over every topic. */
export function assignedCount(consumer: BufferConsumer | null): number {
  let owned = 0
  for (const { partitions } of consumer?.assignments ?? []) owned += partitions.length
  return owned
}

/**
 * The lowest partition number a member was assigned, over every topic (null: none). With the balanced assigner
 * (partition p to member p mod N, ./partition-assigner.ts) it is the member's rank among N members.
 */
export function lowestPartition(consumer: BufferConsumer | null): number | null {
  let lowest: number | null = null
  for (const { partitions } of consumer?.assignments ?? [])
    for (const partition of partitions) if (lowest === null || partition < lowest) lowest = partition
  return lowest
}

/** A member's assignment as `topic:partition` labels. */
export function assignedLabels(consumer: BufferConsumer | null): string[] {
  return (consumer?.assignments ?? []).flatMap(({ topic, partitions }) =>
    partitions.map((p) => `${topic}:${p}`)
  )
}
