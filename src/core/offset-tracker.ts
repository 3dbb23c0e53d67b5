/**
 * The one owner of the bridge's offsets. A batch records each offset as it is read, in the BatchOffsets the
 * tracker gave it (startBatch()); those offsets are *held* until the batch is settled by its id (rows in
 * ClickHouse, or the dead letters in Kafka). The commit position of a partition is the lowest offset still held,
 * or one past the highest settled offset when nothing is held. So a crash anywhere re-delivers, never skips.
 * Pure: no Kafka here.
 */

/** A Kafka partition. */
export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

declare const partitionKeyBrand: unique symbol
/**
 * A partition's stable name, "<topic>:<partition>", for sets, maps and dedup tokens. Only partitionKey() makes
 * one, and nothing parses it back: code that needs the topic or the partition keeps the TopicPartition.
 */
export type PartitionKey = string & { readonly [partitionKeyBrand]: true }

export function partitionKey({ topic, partition }: TopicPartition): PartitionKey {
  return `${topic}:${partition}` as PartitionKey
}

export interface CommitPosition extends TopicPartition {
  /** Kafka convention: the next offset to read. */
  readonly offset: bigint
}

/** The lowest and highest offset one batch read from one partition. */
export interface PartitionRange extends TopicPartition {
  readonly key: PartitionKey
  readonly first: bigint
  readonly last: bigint
}

interface MutableRange extends TopicPartition {
  readonly key: PartitionKey
  first: bigint
  last: bigint
}

let nextBatchId = 1

/**
 * The offsets one batch read, per partition. From OffsetTracker.startBatch() they are held until the batch is
 * settled; made directly (a split half, whose rows the whole batch already holds) they only describe the batch.
 */
export class BatchOffsets {
  readonly id = nextBatchId++
  readonly #ranges: MutableRange[] = []
  /** The tracker's hook: a partition this batch reads for the first time. */
  readonly #onNewPartition: ((range: PartitionRange) => void) | undefined
  /** The range of the partition read last: a run of one partition's messages costs two comparisons each. */
  #last: MutableRange | undefined

  constructor(onNewPartition?: (range: PartitionRange) => void) {
    this.#onNewPartition = onNewPartition
  }

  /** Records one offset read into the batch (called for every message, so it allocates only per partition). */
  read(topic: string, partition: number, offset: bigint): void {
    let range = this.#last
    if (range === undefined || range.partition !== partition || range.topic !== topic) {
      range = this.#rangeOf(topic, partition, offset)
      this.#last = range
    }
    if (offset > range.last) range.last = offset
    else if (offset < range.first) range.first = offset
  }

  /** One range per partition read, in the order first read. */
  get ranges(): readonly PartitionRange[] {
    return this.#ranges
  }

  #rangeOf(topic: string, partition: number, offset: bigint): MutableRange {
    // A batch reads few partitions (a lane's share of a topic's), and its messages come in runs of one partition.
    for (const range of this.#ranges) if (range.partition === partition && range.topic === topic) return range
    const range = { topic, partition, key: partitionKey({ topic, partition }), first: offset, last: offset }
    this.#ranges.push(range)
    this.#onNewPartition?.(range)
    return range
  }
}

interface PartitionState extends TopicPartition {
  /** The ranges of the batches not yet settled that read this partition. */
  readonly held: Set<PartitionRange>
  /** The highest offset of a settled batch (-1n: none). */
  settled: bigint
  committed: bigint
}

export class OffsetTracker {
  readonly #partitions = new Map<PartitionKey, PartitionState>()
  readonly #unsettled = new Map<number, BatchOffsets>()

  /** A new batch's offsets: each one read into it is held until settle(batch id). */
  startBatch(): BatchOffsets {
    const batch = new BatchOffsets((range) => this.#hold(range))
    this.#unsettled.set(batch.id, batch)
    return batch
  }

  /** The batch was acknowledged: its messages no longer hold their partitions back. */
  settle(batchId: number): void {
    const batch = this.#unsettled.get(batchId)
    if (!batch) return
    this.#unsettled.delete(batchId)
    for (const range of batch.ranges) {
      const state = this.#partitions.get(range.key)
      if (!state) continue
      state.held.delete(range)
      if (range.last > state.settled) state.settled = range.last
    }
  }

  /** Positions that advanced past what was last committed, optionally limited to `owned` partitions. */
  commitable(owned?: ReadonlySet<PartitionKey>): CommitPosition[] {
    const positions: CommitPosition[] = []
    for (const [key, state] of this.#partitions) {
      if (owned && !owned.has(key)) continue
      const position = commitPosition(state)
      if (position > state.committed)
        positions.push({ topic: state.topic, partition: state.partition, offset: position })
    }
    return positions
  }

  markCommitted(positions: readonly CommitPosition[]): void {
    for (const position of positions) {
      const state = this.#partitions.get(partitionKey(position))
      if (state && position.offset > state.committed) state.committed = position.offset
    }
  }

  /** The last positions this instance committed, for the partitions it still owns (to re-assert them). */
  lastCommitted(owned: ReadonlySet<PartitionKey>): CommitPosition[] {
    const positions: CommitPosition[] = []
    for (const [key, state] of this.#partitions) {
      if (owned.has(key) && state.committed >= 0n) {
        positions.push({ topic: state.topic, partition: state.partition, offset: state.committed })
      }
    }
    return positions
  }

  /** Forget partitions this instance no longer owns (after a rebalance), unless a batch still holds them. */
  forget(keep: ReadonlySet<PartitionKey>): void {
    for (const [key, state] of this.#partitions)
      if (!keep.has(key) && state.held.size === 0) this.#partitions.delete(key)
  }

  committedOffsets(): Map<PartitionKey, bigint> {
    return new Map([...this.#partitions].map(([key, state]) => [key, state.committed]))
  }

  #hold(range: PartitionRange): void {
    let state = this.#partitions.get(range.key)
    if (!state) {
      state = {
        topic: range.topic,
        partition: range.partition,
        held: new Set(),
        settled: -1n,
        committed: -1n
      }
      this.#partitions.set(range.key, state)
    }
    state.held.add(range)
  }
}

/** The lowest offset still held, or one past the highest settled one when nothing is held. */
function commitPosition(state: PartitionState): bigint {
  let lowest: bigint | undefined
  for (const range of state.held) if (lowest === undefined || range.first < lowest) lowest = range.first
  return lowest ?? state.settled + 1n
}
