import type { ClickHouseClient } from '../clickhouse/client.ts'
import { storedTable } from '../clickhouse/cluster-ddl.ts'
import { candleRefreshSql, rebuildScopesSql, type CandleScope, type RebuildWindow } from '../core/candles.ts'

/** A rebuild's outcome: the exchange:symbol spans whose candles were recomputed. */
export interface CandleRebuild {
  scopes: CandleScope[]
}

/**
 * Recomputes the candles of every trade in a window from the deduplicated trades, as a bridge does after an
 * insert (core/candles.ts), one exchange:symbol after another. For candles a bridge computed while some of
 * their trades could not be read: a ClickHouse replica that died before its peer copied its rows
 * (docs/clickhouse-schema.md), trades inserted by hand, or a bridge that ran with candles off. Idempotent.
 */
export async function rebuildCandles(
  client: ClickHouseClient,
  database: string,
  cluster: string,
  window: RebuildWindow,
  onScope: (scope: CandleScope, done: number, total: number) => void = () => undefined
): Promise<CandleRebuild> {
  const tradesTable = storedTable('trades', cluster)
  const result = await client.query({
    query: rebuildScopesSql(database, window, tradesTable),
    format: 'JSONEachRow'
  })
  const rows = await result.json<{ exchange: string; symbol: string; from_ts: string; to_ts: string }>()
  const scopes = rows.map((r) => ({
    exchange: r.exchange,
    symbol: r.symbol,
    fromTs: Number(r.from_ts),
    toTs: Number(r.to_ts)
  }))
  for (const [index, scope] of scopes.entries()) {
    for (const query of candleRefreshSql(database, [scope], tradesTable)) await client.command({ query })
    onScope(scope, index + 1, scopes.length)
  }
  return { scopes }
}
