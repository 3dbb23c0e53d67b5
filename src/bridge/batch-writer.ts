import type { Logger } from 'pino'
import type { TableName } from '../core/rows.ts'
import type { Batch } from './batch.ts'
import type { CandleSink, DeadLetterSink, PersistResult, RowSink, WriteBuffer } from './ports.ts'
import type { BridgeStats } from './stats.ts'
import {
  CANDLE_WRITE,
  DEAD_LETTER_WRITE,
  DLQ_LANE,
  insertWrite,
  persistWrite,
  type WriteRetry
} from './write-retry.ts'

/** Where a batch goes: a table, or the dead-letter topic. */
export type LaneName = TableName | typeof DLQ_LANE

export interface BatchWriterDeps {
  sink: RowSink
  deadLetters: DeadLetterSink
  /** Recomputes candles from inserted trades; omitted = no candles from trades. */
  candles?: CandleSink
  writes: WriteRetry
  stats: BridgeStats
  log: Logger
}

/**
 * Writes one flushed batch until it may be committed (the worker decides when batches go, this decides what
 * "written" takes): the dead letters produced; or the rows inserted (a batch the server rejects for its data
 * split until the rejected rows are isolated and dead-lettered), stored (flushed out of a write buffer, and
 * inserted again if ClickHouse restarted before the flush), and the candles of its trades recomputed. Every
 * write is retried by the WriteRetry policies (bridge/write-retry.ts).
 */
export class BatchWriter {
  readonly #deps: BatchWriterDeps

  constructor(deps: BatchWriterDeps) {
    this.#deps = deps
  }

  /**
   * Resolves when the batch may be committed. `written` is called once its rows are written (or given up),
   * before the flush and the candle recompute: they no longer count against the buffer or the lane.
   */
  async write(lane: LaneName, batch: Batch, written: () => void): Promise<void> {
    const { writes, stats } = this.#deps
    if (lane === DLQ_LANE) {
      try {
        await writes.run(DEAD_LETTER_WRITE, () => this.#deps.deadLetters.send(batch.letters))
        stats.deadLettered(batch.letters.length)
      } finally {
        written()
      }
      return
    }
    const buffer = this.#bufferFor(lane)
    const epoch = buffer?.epoch() ?? 0
    try {
      await this.#insert(lane, batch)
    } finally {
      written()
    }
    if (buffer) await this.#persist(buffer, lane, batch, epoch)
    batch.releaseRows()
    const { candles } = this.#deps
    if (candles && batch.candleScopes.size > 0) {
      // The batch settles only after the candles are recomputed, so a crash here re-delivers the trades.
      const scopes = [...batch.candleScopes.values()]
      await writes.run(CANDLE_WRITE, () => candles.refresh(scopes))
    }
  }

  /**
   * The rows are in ClickHouse's write buffer (queryable): wait for a flush to store them. A server that
   * restarted in between lost them: insert them again, until a flush stores them.
   */
  async #persist(buffer: WriteBuffer, table: TableName, batch: Batch, epoch: number): Promise<void> {
    for (;;) {
      let result = 'lost' as PersistResult
      await this.#deps.writes.run(persistWrite(table), async () => {
        result = await buffer.persist(table, epoch)
      })
      if (result === 'stored') return
      this.#deps.stats.reinserted(batch.size)
      this.#deps.log.warn(
        { table, rows: batch.size },
        'ClickHouse restarted before these rows left its write buffer: inserting them again'
      )
      epoch = buffer.epoch()
      await this.#insert(table, batch)
    }
  }

  /** The write buffer inserts into `table` land in, if any. */
  #bufferFor(table: TableName): WriteBuffer | undefined {
    const { buffer } = this.#deps.sink
    return buffer?.holds(table) ? buffer : undefined
  }

  /** Insert; a batch the server rejects for its data is split until the rejected rows are isolated. */
  async #insert(table: TableName, batch: Batch): Promise<void> {
    const { writes, stats, log } = this.#deps
    const started = performance.now()
    const flushedAt = Date.now()
    // No token into a write buffer: it merges the blocks of many inserts (and building one costs per insert).
    const token = this.#bufferFor(table) ? '' : batch.dedupToken()
    const outcome = await writes.run(insertWrite(table), () =>
      this.#deps.sink.insert(table, batch.body.buffers(), token)
    )
    if (outcome.kind !== 'rejected') {
      const insertMs = performance.now() - started
      stats.inserted(table, batch.size, insertMs)
      // Where a row's latency goes (docs/benchmarks.md): its batch's age when flushed, and the insert.
      log.debug(
        { table, rows: batch.size, ageMs: flushedAt - batch.createdAt, insertMs: Math.round(insertMs) },
        'batch inserted'
      )
      return
    }
    if (batch.size === 1) {
      await writes.run(DEAD_LETTER_WRITE, () =>
        this.#deps.deadLetters.send([
          {
            reason: `rejected by ClickHouse: ${outcome.reason}`,
            // Rows keep only their coordinates: the dead letter carries the row as it was sent.
            source: { ...batch.source(0), value: batch.row(0) }
          }
        ])
      )
      stats.deadLettered(1)
      return
    }
    for (const half of batch.split()) await this.#insert(table, half)
  }
}
