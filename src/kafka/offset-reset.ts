import type { Admin } from '@platformatic/kafka'
import { groupLag } from './lag.ts'

/** Where `tickbridge reset offsets` moves a group: the log start, the log end, or the first offset at a time. */
export type ResetTarget = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'time'; ms: number }

export interface OffsetMove {
  topic: string
  partition: number
  /** -1 when the group had committed nothing. */
  before: bigint
  after: bigint
}

/** ListOffsets' special timestamps. */
const EARLIEST = -2n
const LATEST = -1n

function timestampOf(target: ResetTarget): bigint {
  if (target.kind === 'earliest') return EARLIEST
  if (target.kind === 'latest') return LATEST
  return BigInt(target.ms)
}

/**
 * The offset of every partition of `topics` for the target. For a time, the first offset whose message
 * timestamp is at or after it; where every message is older, the log end (as Kafka's own tool does).
 */
export async function offsetsFor(
  admin: Admin,
  topics: string[],
  target: ResetTarget
): Promise<Map<string, bigint>> {
  const metadata = await admin.metadata({ topics })
  const request = (timestamp: bigint) =>
    topics.map((name) => ({
      name,
      partitions: Array.from(
        { length: metadata.topics.get(name)?.partitionsCount ?? 0 },
        (_, partitionIndex) => ({ partitionIndex, timestamp })
      )
    }))
  const [found, ends] = await Promise.all([
    admin.listOffsets({ topics: request(timestampOf(target)) }),
    admin.listOffsets({ topics: request(LATEST) })
  ])
  const endOf = new Map<string, bigint>()
  for (const topic of ends)
    for (const p of topic.partitions) endOf.set(`${topic.name}:${p.partitionIndex}`, p.offset)
  const offsets = new Map<string, bigint>()
  for (const topic of found) {
    for (const p of topic.partitions) {
      const key = `${topic.name}:${p.partitionIndex}`
      offsets.set(key, p.offset < 0n ? (endOf.get(key) ?? 0n) : p.offset)
    }
  }
  return offsets
}

/** Commits the target offsets for the group (which must have no active members) and reports each move. */
export async function resetGroupOffsets(
  admin: Admin,
  groupId: string,
  topics: string[],
  target: ResetTarget
): Promise<OffsetMove[]> {
  const [before, offsets] = await Promise.all([
    groupLag(admin, groupId, topics),
    offsetsFor(admin, topics, target)
  ])
  const byTopic = new Map<string, { partition: number; offset: bigint }[]>()
  for (const [key, offset] of offsets) {
    const split = key.lastIndexOf(':')
    const topic = key.slice(0, split)
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partition: Number(key.slice(split + 1)), offset }])
  }
  await admin.alterConsumerGroupOffsets({
    groupId,
    topics: [...byTopic].map(([name, partitionOffsets]) => ({ name, partitionOffsets }))
  })
  return before.map((p) => ({
    topic: p.topic,
    partition: p.partition,
    before: p.committed,
    after: offsets.get(`${p.topic}:${p.partition}`) ?? p.committed
  }))
}
