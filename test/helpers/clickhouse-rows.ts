import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { BUFFERED_TABLES } from '../../src/clickhouse/cluster-ddl.ts'
import { migrate } from '../../src/clickhouse/migrate.ts'
import type { MarketMessage, PriceLevel } from '../../src/core/messages.ts'
import { rowFor } from '../../src/core/rows.ts'
import { count, eventually, normalizeDecimal, queryRows, silentLog, type TestEnv } from './stack.ts'
import { tradeKey } from './trade-messages.ts'

/** Applies the schema to the test database and inserts the messages' rows directly (no Kafka, no bridge). */
export async function insertMessages(env: TestEnv, messages: MarketMessage[]): Promise<void> {
  await migrate(env.clickhouse, env.config.clickhouse, silentLog)
  const bodies = new Map<string, string>()
  for (const message of messages) {
    const { table, line } = rowFor(message)
    bodies.set(table, (bodies.get(table) ?? '') + line)
  }
  for (const [table, body] of bodies) {
    const result = await env.clickhouse.exec({
      query: `INSERT INTO ${env.config.clickhouse.database}.${table} FORMAT JSONEachRow`,
      values: Readable.from([Buffer.from(body)])
    })
    result.stream.resume()
    await finished(result.stream)
  }
  // As a bridge does before it commits: rows in a write buffer go to the stored table (docs/clickhouse-schema.md).
  if (!env.config.clickhouse.cluster)
    for (const table of bodies.keys())
      if (BUFFERED_TABLES.has(table))
        await env.clickhouse.command({ query: `OPTIMIZE TABLE ${env.config.clickhouse.database}.${table}` })
}

/** A trades row as the tests read it: decimals as ClickHouse's text (trailing zeros dropped), ts in ms. */
export interface StoredTrade {
  symbol: string
  id: string
  price: string
  amount: string
  side: string
  ts: string
}

/** `WHERE exchange = '…'`, or nothing for every exchange. */
const ofExchange = (exchange: string | undefined) => (exchange ? ` WHERE exchange = '${exchange}'` : '')

/** The trades table after FINAL, of one exchange or all. (No GROUP BY on decimals: ClickHouse 18.16 crashes.) */
export async function storedTrades(env: TestEnv, exchange?: string): Promise<StoredTrade[]> {
  return queryRows<StoredTrade>(
    env.clickhouse,
    `SELECT symbol, id, toString(price) AS price, toString(amount) AS amount, toString(side) AS side, ts
     FROM ${env.config.clickhouse.database}.trades FINAL${ofExchange(exchange)}`
  )
}

/** Rows in the trades table after FINAL, of one exchange or all. */
export function storedTradeCount(env: TestEnv, exchange?: string): Promise<number> {
  return count(
    env.clickhouse,
    `SELECT count() AS n FROM ${env.config.clickhouse.database}.trades FINAL${ofExchange(exchange)}`
  )
}

/** Waits until the trades table holds `expected` rows after FINAL (of one exchange, or all). */
export async function waitStoredTrades(
  env: TestEnv,
  expected: number,
  { exchange, timeoutMs }: { exchange?: string; timeoutMs?: number } = {}
): Promise<void> {
  await eventually(
    async () => (await storedTradeCount(env, exchange)) === expected,
    async () => `rows=${await storedTradeCount(env, exchange)} expected ${expected}`,
    timeoutMs
  )
}

/** A trade that must be in ClickHouse; `ts` (exchange time, ms) is compared where given. */
export interface ExpectedTrade {
  symbol: string
  id: string
  price: string
  amount: string
  side: string
  ts?: number
}

/**
 * Every expected trade has a row with the same decimal values (trailing zeros aside), side and, where given,
 * exchange time. Returns the rows by `symbol:id`.
 */
export function assertTradesStored(
  rows: StoredTrade[],
  expected: Iterable<ExpectedTrade>
): Map<string, StoredTrade> {
  const stored = new Map(rows.map((row) => [tradeKey(row), row]))
  for (const trade of expected) {
    const key = tradeKey(trade)
    const row = stored.get(key)
    assert.ok(row, `trade ${key} is in ClickHouse`)
    const timed = trade.ts !== undefined
    assert.deepEqual(
      [
        normalizeDecimal(row.price),
        normalizeDecimal(row.amount),
        row.side,
        ...(timed ? [Number(row.ts)] : [])
      ],
      [
        normalizeDecimal(trade.price),
        normalizeDecimal(trade.amount),
        trade.side,
        ...(timed ? [trade.ts] : [])
      ],
      `trade ${key} exact`
    )
  }
  return stored
}

/**
 * The newest depth row of each symbol of `exchange` equals `book(symbol)` (the server's top 20), level for level,
 * decimals compared as values.
 */
export async function assertStoredBooks(
  env: TestEnv,
  exchange: string,
  symbols: string[],
  book: (symbol: string) => { bids: PriceLevel[]; asks: PriceLevel[] }
): Promise<void> {
  const normalized = (levels: string[][]) => levels.map((level) => level.map(normalizeDecimal))
  for (const symbol of symbols) {
    const [latest] = await queryRows<{ bids: string[][]; asks: string[][] }>(
      env.clickhouse,
      `SELECT arrayMap(l -> [toString(l[1]), toString(l[2])], bids) AS bids,
              arrayMap(l -> [toString(l[1]), toString(l[2])], asks) AS asks
       FROM ${env.config.clickhouse.database}.depth FINAL
       WHERE exchange = '${exchange}' AND symbol = '${symbol}' ORDER BY ts DESC LIMIT 1`
    )
    assert.ok(latest, `a depth row of ${symbol}`)
    const { bids, asks } = book(symbol)
    assert.deepEqual(normalized(latest.bids), normalized(bids), `${symbol} bids in ClickHouse`)
    assert.deepEqual(normalized(latest.asks), normalized(asks), `${symbol} asks in ClickHouse`)
  }
}
