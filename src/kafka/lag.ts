import type { Admin } from '@platformatic/kafka'

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

export async function endOffsets(admin: Admin, topics: string[]): Promise<Map<string, bigint>> {
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
  const ends = new Map<string, bigint>()
  for (const topic of listed)
    for (const p of topic.partitions) ends.set(`${topic.name}:${p.partitionIndex}`, p.offset)
  return ends
}

export async function groupLag(admin: Admin, groupId: string, topics: string[]): Promise<PartitionLag[]> {
  const [ends, groups] = await Promise.all([
    endOffsets(admin, topics),
    admin.listConsumerGroupOffsets({ groups: [groupId] })
  ])
  const committed = new Map<string, bigint>()
  for (const group of groups) {
    for (const topic of group.topics)
      for (const p of topic.partitions) committed.set(`${topic.name}:${p.partitionIndex}`, p.committedOffset)
  }
  return [...ends]
    .map(([key, end]) => {
      const split = key.lastIndexOf(':')
      const offset = committed.get(key) ?? -1n
      return {
        topic: key.slice(0, split),
        partition: Number(key.slice(split + 1)),
        committed: offset,
        end,
        lag: end - (offset < 0n ? 0n : offset)
      }
    })
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
}
