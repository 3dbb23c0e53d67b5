import { randomUUID } from 'node:crypto'
import type { ClickHouseClient } from '../clickhouse/client.ts'
import { BUFFERED_TABLES } from '../clickhouse/cluster-ddl.ts'
import { BUFFER_EPOCHS_TABLE } from '../clickhouse/migrations.ts'
import type { TableName } from '../core/rows.ts'
import { sqlString } from '../core/sql.ts'
import { CoalescedRuns } from './coalesced-runs.ts'
import type { PersistResult, WriteBuffer } from './ports.ts'

/**
 * The bridge's side of ClickHouse's write buffers (one server; docs/clickhouse-schema.md#write-buffers). A row
 * inserted into a Buffer table is queryable at once but lives in the server's memory until the buffer is
 * flushed to its `<table>_local` MergeTree table, so a batch is committed to Kafka only after a flush:
 * `OPTIMIZE TABLE <table>` flushes the whole buffer and returns once its rows are written (or fails, and the
 * rows stay buffered). Flushes are shared by every batch that asks while one waits (CoalescedRuns), one at a
 * time and at most one per `minIntervalMs()`, so each bridge adds ~1 part per table per interval; bridges take
 * turns (`phaseMs`), so a flush holds about one interval's rows, not N bridges' at once.
 *
 * A ClickHouse restart empties its buffers, and a flush after it succeeds with nothing to flush. So each bridge
 * keeps a token in a Memory table (emptied by the restart too): the rows of an epoch count as stored only if the
 * epoch's token is still there after the flush. If it is gone, the batches of that epoch get 'lost' and are
 * inserted again, under a new token.
 */
export class BufferFlusher implements WriteBuffer {
  readonly #client: ClickHouseClient
  readonly #database: string
  readonly #instanceId: string
  readonly #runs: CoalescedRuns<Set<TableName>, number | null>
  /** Counts tokens written; 0 before start(). A batch remembers the epoch it was inserted in. */
  #epoch = 0
  #token = ''

  /** `phaseMs`: flushes start on a grid of `minIntervalMs()` shifted by it (coalesced-runs.ts). */
  constructor(
    client: ClickHouseClient,
    database: string,
    instanceId: string,
    minIntervalMs: () => number,
    phaseMs?: () => number
  ) {
    this.#client = client
    this.#database = database
    this.#instanceId = instanceId
    this.#runs = new CoalescedRuns<Set<TableName>, number | null>({
      empty: () => new Set(),
      merge: (into, more) => {
        for (const table of more) into.add(table)
      },
      minIntervalMs,
      ...(phaseMs ? { phaseMs } : {}),
      run: (tables) => this.#flush(tables)
    })
  }

  /** Writes the first token: call before the first insert. */
  async start(): Promise<void> {
    await this.#newEpoch()
  }

  holds(table: TableName): boolean {
    return BUFFERED_TABLES.has(table)
  }

  epoch(): number {
    return this.#epoch
  }

  async persist(table: TableName, epoch: number): Promise<PersistResult> {
    const verified = await this.#runs.request(new Set([table]))
    return verified === epoch ? 'stored' : 'lost'
  }

  hurry(): void {
    this.#runs.hurry()
  }

  /** Flushes the tables' buffers; the epoch whose rows are now stored, or null when the server lost them. */
  async #flush(tables: Set<TableName>): Promise<number | null> {
    for (const table of tables)
      await this.#client.command({ query: `OPTIMIZE TABLE ${this.#database}.${table}` })
    const result = await this.#client.query({
      query: `SELECT count() AS n FROM ${this.#database}.${BUFFER_EPOCHS_TABLE} WHERE token = ${sqlString(this.#token)}`,
      format: 'JSONEachRow'
    })
    const [row] = await result.json<{ n: string | number }>()
    if (Number(row?.n) > 0) return this.#epoch
    await this.#newEpoch()
    return null
  }

  async #newEpoch(): Promise<void> {
    const token = randomUUID()
    await this.#client.command({
      query: `INSERT INTO ${this.#database}.${BUFFER_EPOCHS_TABLE} (instance, token) VALUES (${sqlString(this.#instanceId)}, ${sqlString(token)})`
    })
    this.#token = token
    this.#epoch++
  }
}
