import type { ClickHouseClient } from '../clickhouse/client.ts'
import {
  CANDLE_COLUMNS,
  candleRollupSql,
  mergeScopes,
  pieceCandlesSql,
  pieceCheckSql,
  splitPieceCheck,
  type CandleScope,
  type ScopeMap
} from '../core/candles.ts'
import { CoalescedRuns, restForShare } from './coalesced-runs.ts'
import type { CandleSink } from './ports.ts'

/**
 * Recomputes the candles touched by inserted trades (core/candles.ts). Requests that arrive while a refresh
 * runs are merged into the next one; refreshes run one at a time, at least `minIntervalMs` apart, and a slow one
 * is followed by a rest (`maxBusyShare`), so ClickHouse sees a couple of INSERT ... SELECTs a second however many
 * trade batches there are, and no more than its share of time when they get slow. A request resolves once a
 * refresh that started after it has finished; it rejects if that refresh failed (the caller retries).
 */
/**
 * The longest rest after a refresh: one that timed out (four requests of up to the client's 30 s request
 * timeout) would otherwise hold the commits back for many minutes.
 */
const MAX_REST_MS = 30_000

export class CandleRefresher implements CandleSink {
  readonly #runs: CoalescedRuns<ScopeMap, void>

  constructor(
    client: ClickHouseClient,
    database: string,
    options: {
      /** Read before each refresh (the bridge scales it by its share of the partitions). */
      minIntervalMs: () => number
      /** Where the trades written for good are (clickhouse/cluster-ddl.ts storedTable); default `trades`. */
      tradesTable?: string
      /**
       * The most of the time this bridge spends in refreshes (0 < share ≤ 1, read after each refresh; default
       * 1, no limit): after a refresh that took d ms the next waits at least d × (1 / share − 1) ms, at most
       * 30 s.
       */
      maxBusyShare?: () => number
      /** Refreshes start on a grid of `minIntervalMs()` shifted by this (coalesced-runs.ts); default none. */
      phaseMs?: () => number
    }
  ) {
    const { minIntervalMs, tradesTable = 'trades', maxBusyShare = () => 1, phaseMs } = options
    this.#runs = new CoalescedRuns<ScopeMap, void>({
      empty: () => new Map(),
      merge: (into, more) => mergeScopes(into, more.values()),
      minIntervalMs,
      restAfterMs: (runMs) => restForShare(runMs, maxBusyShare(), MAX_REST_MS),
      ...(phaseMs ? { phaseMs } : {}),
      run: async (pending) => {
        const scopes = [...pending.values()]
        await refreshPieces(client, database, scopes, tradesTable)
        for (const query of candleRollupSql(database, scopes)) await client.command({ query })
      }
    })
  }

  refresh(scopes: CandleScope[]): Promise<void> {
    if (scopes.length === 0) return Promise.resolve()
    const work: ScopeMap = new Map()
    mergeScopes(work, scopes)
    return this.#runs.request(work)
  }

  /** Refreshes no longer wait for the interval or the rest (the bridge is stopping). */
  hurry(): void {
    this.#runs.hurry()
  }
}

/**
 * The 10s candles of the touched slices: read without FINAL and inserted as read where every trade of a slice is
 * stored once (the usual case), recomputed from FINAL where one is stored twice (core/candles.ts pieceCheckSql).
 */
async function refreshPieces(
  client: ClickHouseClient,
  database: string,
  scopes: CandleScope[],
  tradesTable: string
): Promise<void> {
  const checked = await client.query({
    query: pieceCheckSql(database, scopes, tradesTable),
    format: 'TabSeparated'
  })
  const { stored, duplicated } = splitPieceCheck(await checked.text())
  // The rows in the request's text, not a stream: a failover client can send it to the next node.
  if (stored !== '')
    await client.command({
      query: `INSERT INTO ${database}.candles (${CANDLE_COLUMNS}) FORMAT TabSeparated\n${stored}`
    })
  if (duplicated.length > 0)
    await client.command({ query: pieceCandlesSql(database, duplicated, tradesTable) })
}
