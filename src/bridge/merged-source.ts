import { partitionKey, type CommitPosition, type PartitionKey } from '../core/offset-tracker.ts'
import type { MessageSource, SourceMessage } from './ports.ts'

/**
 * Several sources feeding one worker (`bridge --source both`: Kafka and NATS): one buffer, one set of batches per
 * table, one backpressure decision, one commit loop. Their partitions never share a name (`nats:<stream>` is no
 * Kafka topic), so each commit position goes to the source that owns its partition.
 */
export class MergedSource implements MessageSource {
  readonly #sources: readonly MessageSource[]

  constructor(sources: readonly MessageSource[]) {
    this.#sources = sources
  }

  async start(onMessage: (message: SourceMessage) => void): Promise<void> {
    const started: MessageSource[] = []
    try {
      for (const source of this.#sources) {
        await source.start(onMessage)
        started.push(source)
      }
    } catch (error) {
      await Promise.all(started.map((source) => source.close().catch(() => undefined)))
      throw error
    }
  }

  pause(): void {
    for (const source of this.#sources) source.pause()
  }

  resume(): void {
    for (const source of this.#sources) source.resume()
  }

  /** Each position to the source owning its partition; positions nobody claims to those that do not know. */
  async commit(positions: CommitPosition[]): Promise<void> {
    const owners = this.#sources.map((source) => ({
      source,
      owned: source.ownedPartitions(),
      positions: [] as CommitPosition[]
    }))
    const unknowing = owners.filter((owner) => owner.owned === undefined)
    for (const position of positions) {
      const key = partitionKey(position)
      const owner = owners.find((o) => o.owned?.has(key)) ?? unknowing[0]
      owner?.positions.push(position)
    }
    await Promise.all(
      owners
        .filter((owner) => owner.positions.length > 0)
        .map((owner) => owner.source.commit(owner.positions))
    )
  }

  /** The union of what the sources own; undefined (nothing filtered) while one of them does not know. */
  ownedPartitions(): Set<PartitionKey> | undefined {
    const owned = new Set<PartitionKey>()
    for (const source of this.#sources) {
      const own = source.ownedPartitions()
      if (own === undefined) return undefined
      for (const key of own) owned.add(key)
    }
    return owned
  }

  fetchLandingBefore(dueAt: number): boolean {
    return this.#sources.some((source) => source.fetchLandingBefore?.(dueAt) ?? false)
  }

  async close(): Promise<void> {
    await Promise.all(this.#sources.map((source) => source.close()))
  }
}
