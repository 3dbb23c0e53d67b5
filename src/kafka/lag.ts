import type { Admin } from '@platformatic/kafka'
import { partitionKey, type PartitionKey } from '../core/offset-tracker.ts'

/** Committed offset, end offset and lag of a consumer group, per topic partition. */
export interface PartitionLag {
  topic: string
  partition: number
  /** -1 when the group has committed nothing for this partition. */
  committed: bigint
  end: bigint
  lag: bigint
}

const LATEST = -1n

/** The end (next) offset of every partition of `topics`, by partition. */
export async function endOffsets(admin: Admin, topics: string[]): Promise<Map<PartitionKey, bigint>> {
  const ends = new Map<PartitionKey, bigint>()
  for (const p of await listEnds(admin, topics)) ends.set(partitionKey(p), p.end)
  return ends
}

async function listEnds(
  admin: Admin,
  topics: string[]
): Promise<{ topic: string; partition: number; end: bigint }[]> {
  const metadata = await admin.metadata({ topics })
  const request = topics.map((name) => ({
    name,
    partitions: Array.from(
      { length: metadata.topics.get(name)?.partitionsCount ?? 0 },
      (_, partitionIndex) => ({
        partitionIndex,
        timestamp: LATEST
      })
    )
  }))
  const listed = await admin.listOffsets({ topics: request })
  return listed.flatMap((topic) =>
    topic.partitions.map((p) => ({ topic: topic.name, partition: p.partitionIndex, end: p.offset }))
  )
}

export async function groupLag(admin: Admin, groupId: string, topics: string[]): Promise<PartitionLag[]> {
  const [ends, groups] = await Promise.all([
    listEnds(admin, topics),
    admin.listConsumerGroupOffsets({ groups: [groupId] })
  ])
  const committed = new Map<PartitionKey, bigint>()
  for (const group of groups) {
    for (const topic of group.topics)
      for (const p of topic.partitions)
        committed.set(partitionKey({ topic: topic.name, partition: p.partitionIndex }), p.committedOffset)
  }
  return ends
    .map(({ topic, partition, end }) => {
      const offset = committed.get(partitionKey({ topic, partition })) ?? -1n
      return { topic, partition, committed: offset, end, lag: end - (offset < 0n ? 0n : offset) }
    })
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
}
