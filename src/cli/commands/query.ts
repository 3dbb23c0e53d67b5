import type { Command } from 'commander'
import { createClickHouse, detectCapabilities, type ClickHouseClient } from '../../clickhouse/client.ts'
import {
  buildMarketQuery,
  MARKET_TABLES,
  parseTimeArgument,
  trimDecimal,
  type MarketTable
} from '../../core/market-query.ts'
import { describeError, ErrorCodes, TickbridgeError } from '../../errors.ts'
import { parseArguments, parseWholeNumber } from '../arguments.ts'
import { cliContext } from '../context.ts'
import { formatTable, printResult } from '../output.ts'

interface QueryOptions {
  symbol: string
  exchange?: string
  timeframe?: string
  from: string
  to: string
  limit: string
  final: boolean
  json?: boolean
}

type Row = Record<string, unknown>

const INTEGER_COLUMNS = new Set(['ts', 'recv_ts', 'trades'])
const DECIMAL_COLUMNS = new Set([
  'price',
  'amount',
  'bid',
  'ask',
  'bid_size',
  'ask_size',
  'open',
  'high',
  'low',
  'close',
  'volume'
])

/** `tickbridge query trades --symbol BTCUSDT --from -5m`: recent rows of one table, newest first. */
export function registerQueryCommand(program: Command): void {
  program
    .command('query')
    .description('recent rows of one market table for one symbol, newest first (exact: reads with FINAL)')
    .argument('<table>', MARKET_TABLES.join(' | '))
    .requiredOption('-s, --symbol <symbol>', 'symbol, e.g. BTCUSDT or EUR/USD')
    .option('-e, --exchange <exchange>', 'only this exchange')
    .option('--timeframe <tf>', 'candles only: 1m, 5m, 15m, 1h, 4h, 1d')
    .option('--from <time>', 'start: ISO time, epoch ms, now, or relative like -5m, -2h, -1d', '-1h')
    .option('--to <time>', 'end (inclusive), same forms as --from', 'now')
    .option('-n, --limit <n>', 'at most this many rows', '100')
    .option('--no-final', 'skip FINAL: faster, but may show a redelivered row twice until merged')
    .option('--json', 'print JSON')
    .action(async (table: string, options: QueryOptions) => {
      const rows = await runMarketQuery(table, options)
      printResult(rows, options.json === true, () =>
        rows.length === 0
          ? `no ${table} for ${options.symbol} in that time range`
          : formatTable(rows.map((row) => readable(table as MarketTable, row)))
      )
    })
}

async function runMarketQuery(table: string, options: QueryOptions): Promise<Row[]> {
  const { config } = cliContext()
  const client = createClickHouse(config.clickhouse)
  try {
    const capabilities = await detectCapabilities(client)
    const { query, params } = parseArguments(() => {
      const now = Date.now()
      return buildMarketQuery(
        config.clickhouse.database,
        {
          table: table as MarketTable,
          symbol: options.symbol,
          exchange: options.exchange,
          timeframe: options.timeframe,
          fromMs: parseTimeArgument(options.from, now),
          toMs: parseTimeArgument(options.to, now),
          limit: parseWholeNumber(options.limit, '--limit', 1),
          final: options.final
        },
        { queryParameters: capabilities.queryParameters }
      )
    }, 'See `tickbridge query --help`.')
    const result = await client
      .query({
        query,
        format: 'JSONEachRow',
        ...(Object.keys(params).length > 0 ? { query_params: params } : {})
      })
      .catch(async (error: unknown) => {
        // 18.16's error text carries no parseable code, so ask the server whether the table is there.
        const exists = await tableExists(client, `${config.clickhouse.database}.${table}`).catch(() => true)
        throw queryFailed(error, `${config.clickhouse.database}.${table}`, exists)
      })
    return (await result.json<Row>()).map(typed)
  } finally {
    await client.close()
  }
}

async function tableExists(client: ClickHouseClient, qualifiedName: string): Promise<boolean> {
  const result = await client.query({ query: `EXISTS TABLE ${qualifiedName}`, format: 'JSONEachRow' })
  const [row] = await result.json<{ result: number | string }>()
  return Number(row?.result) === 1
}

function queryFailed(error: unknown, qualifiedName: string, exists: boolean): TickbridgeError {
  return new TickbridgeError(
    ErrorCodes.CLICKHOUSE_REJECTED,
    exists ? `query failed: ${describeError(error)}` : `${qualifiedName} does not exist`,
    {
      cause: error,
      ...(exists
        ? {}
        : { hint: 'Apply the schema with `tickbridge migrate` (or check CLICKHOUSE_DATABASE).' })
    }
  )
}

/** UInt64 columns arrive as JSON strings: make them numbers (epoch ms fit); decimals stay text, unpadded. */
function typed(row: Row): Row {
  const out: Row = {}
  for (const [key, value] of Object.entries(row)) {
    if (INTEGER_COLUMNS.has(key) && typeof value === 'string') out[key] = Number(value)
    else if (DECIMAL_COLUMNS.has(key) && typeof value === 'string') out[key] = trimDecimal(value)
    else if (Array.isArray(value))
      out[key] = value.map((level) =>
        Array.isArray(level) ? level.map((v) => trimDecimal(String(v))) : level
      )
    else out[key] = value
  }
  return out
}

/** Table form: ISO times, and depth as its best levels rather than whole books. */
function readable(table: MarketTable, row: Row): Row {
  const { ts, recv_ts: _recv, bids, asks, ...rest } = row
  const time = new Date(Number(ts)).toISOString()
  if (table !== 'depth') return { time, ...rest }
  const best = (levels: unknown) => {
    const first = Array.isArray(levels) ? (levels[0] as unknown[] | undefined) : undefined
    return first ? `${String(first[0])} x ${String(first[1])}` : '-'
  }
  const count = (levels: unknown) => (Array.isArray(levels) ? levels.length : 0)
  return {
    time,
    ...rest,
    best_bid: best(bids),
    best_ask: best(asks),
    levels: `${count(bids)}/${count(asks)}`
  }
}
