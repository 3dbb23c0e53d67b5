import assert from 'node:assert/strict'
import type { ClickHouseClient } from '../../src/clickhouse/client.ts'
import { eventually, queryRows } from './stack.ts'

/** Rows per table after FINAL (exchange candles only: candles computed from trades are checked separately). */
export async function finalCounts(client: ClickHouseClient, db: string): Promise<Record<string, number>> {
  const rows = await queryRows<{ t: string; n: string }>(
    client,
    `SELECT 'trades' AS t, count() AS n FROM ${db}.trades FINAL
     UNION ALL SELECT 'depth' AS t, count() AS n FROM ${db}.depth FINAL
     UNION ALL SELECT 'quotes' AS t, count() AS n FROM ${db}.quotes FINAL
     UNION ALL SELECT 'candles' AS t, count() AS n FROM ${db}.candles FINAL WHERE source = 'exchange'`
  )
  return Object.fromEntries(rows.map((r) => [r.t, Number(r.n)]))
}

export function sameCounts(actual: Record<string, number>, expected: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(actual), ...Object.keys(expected)])
  return [...keys].every((key) => actual[key] === expected[key])
}

/** Waits until the rows per table after FINAL are exactly `expected` (finalCounts' tables, every one named). */
export async function waitFinalCounts(
  client: ClickHouseClient,
  db: string,
  expected: Record<string, number>,
  timeoutMs: number
): Promise<void> {
  await eventually(
    async () => sameCounts(await finalCounts(client, db), expected),
    async () =>
      `counts ${JSON.stringify(await finalCounts(client, db))} expected ${JSON.stringify(expected)}`,
    timeoutMs
  )
}

/**
 * Candles computed by the bridge equal candles computed here, directly from the deduplicated trades,
 * for 10s, 1m and every rolled-up timeframe.
 */
export async function assertCandlesMatchTrades(client: ClickHouseClient, db: string): Promise<number> {
  const frames: [string, number][] = [
    ['10s', 10_000],
    ['1m', 60_000],
    ['5m', 300_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['4h', 14_400_000],
    ['1d', 86_400_000]
  ]
  let compared = 0
  for (const [frame, ms] of frames) {
    const expected = await queryRows<Record<string, string>>(
      client,
      `SELECT exchange, symbol, intDiv(ts, ${ms}) * ${ms} AS bucket, toString(argMin(price, (ts, id))) AS open,
         toString(max(price)) AS high, toString(min(price)) AS low, toString(argMax(price, (ts, id))) AS close,
         toString(sum(amount)) AS volume, count() AS trades
       FROM ${db}.trades FINAL GROUP BY exchange, symbol, bucket ORDER BY exchange, symbol, bucket`
    )
    const actual = await queryRows<Record<string, string>>(
      client,
      `SELECT exchange, symbol, ts AS bucket, toString(open) AS open, toString(high) AS high, toString(low) AS low,
         toString(close) AS close, toString(volume) AS volume, trades
       FROM ${db}.candles FINAL WHERE source = 'trades' AND timeframe = '${frame}' ORDER BY exchange, symbol, bucket`
    )
    assert.deepEqual(
      actual,
      expected,
      `${frame} candles equal candles recomputed from the deduplicated trades`
    )
    compared += expected.length
  }
  return compared
}
