/**
 * Which offset each partition may commit. A message is "held" from the moment it is read until the
 * batch holding it is acknowledged (rows in ClickHouse, or the dead letter in Kafka). The commit position
 * of a partition is the lowest offset still held, or one past the highest offset seen when nothing is held.
 * So a crash anywhere re-delivers, never skips. Pure: no Kafka here.
 */
export type PartitionKey = string // "<topic>:<partition>"

export function partitionKey(topic: string, partition: number): PartitionKey {
  return `${topic}:${partition}`
}

interface PartitionState {
  maxSeen: bigint
  /** batch id -> lowest offset of this partition in that batch */
  held: Map<number, bigint>
  committed: bigint
}

export interface CommitPosition {
  topic: string
  partition: number
  /** Kafka convention: the next offset to read. */
  offset: bigint
}

export class OffsetTracker {
  readonly #partitions = new Map<PartitionKey, PartitionState & { topic: string; partition: number }>()

  hold(topic: string, partition: number, offset: bigint, batchId: number): void {
    const key = partitionKey(topic, partition)
    let state = this.#partitions.get(key)
    if (!state) {
      state = { topic, partition, maxSeen: -1n, held: new Map(), committed: -1n }
      this.#partitions.set(key, state)
    }
    if (offset > state.maxSeen) state.maxSeen = offset
    const current = state.held.get(batchId)
    if (current === undefined || offset < current) state.held.set(batchId, offset)
  }

  /** Record that offsets up to `offset` were read (hold() is only called for a batch's lowest offset). */
  seen(topic: string, partition: number, offset: bigint): void {
    const state = this.#partitions.get(partitionKey(topic, partition))
    if (state && offset > state.maxSeen) state.maxSeen = offset
  }

  /** The batch was acknowledged: its messages no longer hold their partitions back. */
  release(batchId: number, partitions: Iterable<PartitionKey>): void {
    for (const key of partitions) this.#partitions.get(key)?.held.delete(batchId)
  }

  /** Positions that advanced past what was last committed, optionally limited to `owned` partitions. */
  commitable(owned?: Set<PartitionKey>): CommitPosition[] {
    const positions: CommitPosition[] = []
    for (const [key, state] of this.#partitions) {
      if (owned && !owned.has(key)) continue
      let position = state.maxSeen + 1n
      for (const offset of state.held.values()) if (offset < position) position = offset
      if (position > state.committed)
        positions.push({ topic: state.topic, partition: state.partition, offset: position })
    }
    return positions
  }

  markCommitted(positions: CommitPosition[]): void {
    for (const position of positions) {
      const state = this.#partitions.get(partitionKey(position.topic, position.partition))
      if (state && position.offset > state.committed) state.committed = position.offset
    }
  }

  /** The last positions this instance committed, for the partitions it still owns (to re-assert them). */
  lastCommitted(owned: Set<PartitionKey>): CommitPosition[] {
    const positions: CommitPosition[] = []
    for (const [key, state] of this.#partitions) {
      if (owned.has(key) && state.committed >= 0n) {
        positions.push({ topic: state.topic, partition: state.partition, offset: state.committed })
      }
    }
    return positions
  }

  /** Forget partitions this instance no longer owns (after a rebalance). */
  forget(keep: Set<PartitionKey>): void {
    for (const [key, state] of this.#partitions)
      if (!keep.has(key) && state.held.size === 0) this.#partitions.delete(key)
  }

  committedOffsets(): Map<PartitionKey, bigint> {
    return new Map([...this.#partitions].map(([key, state]) => [key, state.committed]))
  }
}
