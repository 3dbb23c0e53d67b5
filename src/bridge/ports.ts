import type { CommitPosition, PartitionKey } from '../core/offset-tracker.ts'
import type { CandleScope } from '../core/candles.ts'
import type { TableName } from '../core/rows.ts'

/** The small interfaces the bridge worker is given; real implementations (Kafka, ClickHouse) are passed in. */
export interface SourceMessage {
  topic: string
  partition: number
  offset: bigint
  key: Buffer | undefined
  value: Buffer | undefined
}

export interface MessageSource {
  start(onMessage: (message: SourceMessage) => void): Promise<void>
  pause(): void
  resume(): void
  commit(positions: CommitPosition[]): Promise<void>
  /** Partitions currently assigned to this instance; undefined when not known (then nothing is filtered). */
  ownedPartitions(): Set<PartitionKey> | undefined
  close(): Promise<void>
  /** A read timed to land before the batch due at `dueAt` is still on its way: that batch may wait a little for it. */
  fetchLandingBefore?(dueAt: number): boolean
}

/** The worker's batch deadlines, for a source that times its reads to them (bridge/fetch-pace.ts). */
export interface BatchClock {
  /** Epoch ms when the earliest open batch is due; null when none is open. */
  nextDueAt(): number | null
  /** A read timed to a batch has landed: flush the batches due within `withinMs`. */
  flushDueWithin(withinMs: number): void
}

export interface RowSink {
  /** Inserts JSONEachRow `body` (its buffers, in order) into `table`. Throws an error with a ClickHouse `code` when the server rejects it. */
  insert(table: TableName, body: Buffer[], dedupToken: string): Promise<void>
  /** Set when inserts land in a write buffer (a ClickHouse Buffer table): rows are stored only once flushed. */
  readonly buffer?: WriteBuffer
}

/** 'stored': in the MergeTree table, on disk; 'lost': the server restarted before the flush (insert again). */
export type PersistResult = 'stored' | 'lost'

export interface WriteBuffer {
  /** Inserts into `table` land in the buffer (`candles` has none: its inserts are stored at once). */
  holds(table: TableName): boolean
  /** The current epoch: read before an insert, given to persist() after it. */
  epoch(): number
  /**
   * Resolves once every row inserted into `table` in `epoch` is stored, or says they were lost. Rejects when the
   * flush failed (retry).
   */
  persist(table: TableName, epoch: number): Promise<PersistResult>
  /** Flushes no longer wait for their interval (the bridge is stopping). */
  hurry(): void
}

export interface DeadLetter {
  reason: string
  source: SourceMessage
}

export interface DeadLetterSink {
  send(letters: DeadLetter[]): Promise<void>
}

/** Recomputes the candles touched by trades that were just inserted. */
export interface CandleSink {
  refresh(scopes: CandleScope[]): Promise<void>
  /** Refreshes no longer wait for their interval (the bridge is stopping). */
  hurry?(): void
}
