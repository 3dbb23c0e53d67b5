import { setTimeout as sleep } from 'node:timers/promises'
import type { ClickHouseClient } from '../clickhouse/client.ts'
import {
  mergeScopes,
  minuteCandlesSql,
  rollupCandlesSql,
  type CandleScope,
  type ScopeMap
} from '../core/candles.ts'
import type { CandleSink } from './ports.ts'

/**
 * Recomputes the candles touched by inserted trades (core/candles.ts). Requests that arrive while a refresh
 * runs are merged into the next one, and refreshes are at least `minIntervalMs` apart, so ClickHouse sees a
 * couple of INSERT ... SELECTs a second however many trade batches there are. A request resolves once a
 * refresh that started after it has finished; it rejects if that refresh failed (the caller retries).
 */
export class CandleRefresher implements CandleSink {
  readonly #client: ClickHouseClient
  readonly #database: string
  readonly #minIntervalMs: () => number
  #pending: ScopeMap = new Map()
  #next: Promise<void> | null = null
  #lastStart = 0

  /** `minIntervalMs` is read before each refresh (the bridge scales it by its share of the partitions). */
  constructor(client: ClickHouseClient, database: string, minIntervalMs: () => number) {
    this.#client = client
    this.#database = database
    this.#minIntervalMs = minIntervalMs
  }

  refresh(scopes: CandleScope[]): Promise<void> {
    if (scopes.length === 0) return Promise.resolve()
    mergeScopes(this.#pending, scopes)
    this.#next ??= this.#schedule()
    return this.#next
  }

  async #schedule(): Promise<void> {
    // Always yield before taking the pending scopes: `#next` must be set to this promise first, or a request
    // arriving later would wait on a refresh that never saw its scopes.
    await sleep(Math.max(0, this.#lastStart + this.#minIntervalMs() - Date.now()))
    // From here on, new requests wait for the refresh after this one.
    this.#next = null
    const scopes = [...this.#pending.values()]
    this.#pending = new Map()
    this.#lastStart = Date.now()
    try {
      await this.#client.command({ query: minuteCandlesSql(this.#database, scopes) })
      await this.#client.command({ query: rollupCandlesSql(this.#database, scopes) })
    } catch (error) {
      mergeScopes(this.#pending, scopes) // keep them for the retry
      throw error
    }
  }
}
