import type { GroupPartitionsAssigner } from '@platformatic/kafka'

/**
 * Balanced per topic: members sorted by member id (which Kafka prefixes with the client id, i.e. the instance
 * id), partition p of every topic goes to member p mod N. 6 partitions over 3 instances gives each instance
 * 2 partitions of each topic; instances beyond the partition count get nothing and log that they are idle.
 * (The client's default round-robin runs across all topics at once, so per-topic shares come out uneven.)
 */
export const balancedPerTopicAssigner: GroupPartitionsAssigner = (_current, members, topics, metadata) => {
  const memberIds = [...members.keys()].sort()
  const assignments = memberIds.map((memberId) => ({
    memberId,
    assignments: new Map<string, { topic: string; partitions: number[] }>()
  }))
  for (const topic of [...topics].sort()) {
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0
    for (let partition = 0; partition < count; partition++) {
      const member = assignments[partition % assignments.length]
      if (!member) continue
      const entry = member.assignments.get(topic) ?? { topic, partitions: [] }
      entry.partitions.push(partition)
      member.assignments.set(topic, entry)
    }
  }
  return assignments
}
