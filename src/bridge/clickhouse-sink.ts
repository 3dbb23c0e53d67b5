import { Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import type { ClickHouseClient } from '../clickhouse/client.ts'
import type { TableName } from '../core/rows.ts'
import type { RowSink, WriteBuffer } from './ports.ts'

/**
 * RowSink over the ClickHouse HTTP interface: JSONEachRow bodies built by core/rows.ts are sent as they are.
 * Where the server supports it, the insert carries a deterministic deduplication token. With a write buffer
 * (one server: Buffer tables in front of the MergeTree tables), `buffer` flushes them before commits.
 */
export class ClickHouseSink implements RowSink {
  readonly #client: ClickHouseClient
  readonly #database: string
  readonly #useDedupToken: boolean
  readonly #tableFor: (table: TableName) => string
  readonly buffer?: WriteBuffer

  constructor(
    client: ClickHouseClient,
    database: string,
    options: {
      useDedupToken: boolean
      buffer?: WriteBuffer | undefined
      /** The table a batch of `table` goes into (default: `table`). */
      tableFor?: (table: TableName) => string
    }
  ) {
    this.#client = client
    this.#database = database
    this.#useDedupToken = options.useDedupToken
    this.#tableFor = options.tableFor ?? ((table) => table)
    if (options.buffer) this.buffer = options.buffer
  }

  async insert(table: TableName, body: Buffer[], dedupToken: string): Promise<void> {
    // exec sends the body as it is: the rows are already serialised (client.insert would re-encode them).
    const result = await this.#client.exec({
      query: `INSERT INTO ${this.#database}.${this.#tableFor(table)} FORMAT JSONEachRow`,
      values: Readable.from(body),
      // No token for an insert into a write buffer (''): it merges the blocks of many inserts.
      ...(this.#useDedupToken && dedupToken
        ? { clickhouse_settings: { insert_deduplication_token: dedupToken } }
        : {})
    })
    result.stream.resume()
    await finished(result.stream)
  }
}
