import { sqlString } from './sql.ts'

/**
 * The SQL behind `tickbridge query`: pure, and never built from user text as it is. Every value is first
 * validated to a strict shape (symbol and exchange to a safe character class, times to epoch-ms integers,
 * the limit to a bounded integer); then it is either passed as a server-side query parameter
 * (`{symbol:String}`, servers with query parameters) or, on servers without them (18.16), written as an
 * escaped literal (`sqlString`) or a plain integer.
 */
export const MARKET_TABLES = ['trades', 'depth', 'quotes', 'candles'] as const
export type MarketTable = (typeof MARKET_TABLES)[number]

export interface MarketQueryInput {
  table: MarketTable
  symbol: string
  exchange?: string | undefined
  /** candles only: 1s, 1m, 5m, … */
  timeframe?: string | undefined
  /** Inclusive, epoch ms. */
  fromMs: number
  /** Inclusive, epoch ms. */
  toMs: number
  limit: number
  /** Read with FINAL (exact, deduplicated); the default. */
  final: boolean
}

export interface BuiltQuery {
  query: string
  /** For `query_params`; empty when the values are written into the SQL as validated literals. */
  params: Record<string, string | number>
}

/** A value the user gave that cannot be used; the message says which and why. */
export class InvalidQueryInput extends Error {
  override readonly name = 'InvalidQueryInput'
}

export const MAX_QUERY_LIMIT = 100_000

/** Letters, digits and the separators real symbols use (BTCUSDT, EUR/USD, BTC-USD, X:BTCUSD, BRK.B). */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_./:-]{0,63}$/
const TIMEFRAME = /^[0-9]{1,3}[smhdw]$/

/** Decimals and arrays of decimals as exact text; times as UInt64 (text in JSON, made numbers by the caller). */
const COLUMNS: Record<MarketTable, string[]> = {
  trades: ['ts', 'exchange', 'symbol', 'id', 'side', text('price'), text('amount'), 'recv_ts'],
  depth: ['ts', 'exchange', 'symbol', levels('bids'), levels('asks'), 'recv_ts'],
  quotes: [
    'ts',
    'exchange',
    'symbol',
    text('bid'),
    text('ask'),
    text('bid_size'),
    text('ask_size'),
    'recv_ts'
  ],
  candles: [
    'ts',
    'exchange',
    'symbol',
    'timeframe',
    'source',
    text('open'),
    text('high'),
    text('low'),
    text('close'),
    text('volume'),
    'trades'
  ]
}

function text(column: string): string {
  return `toString(${column}) AS ${column}`
}

function levels(column: string): string {
  return `arrayMap(level -> arrayMap(value -> toString(value), level), ${column}) AS ${column}`
}

export function validateMarketQuery(input: MarketQueryInput): MarketQueryInput {
  if (!MARKET_TABLES.includes(input.table))
    throw new InvalidQueryInput(`unknown table "${input.table}"; expected one of ${MARKET_TABLES.join(', ')}`)
  safeName('symbol', input.symbol)
  if (input.exchange !== undefined) safeName('exchange', input.exchange)
  if (input.timeframe !== undefined && !TIMEFRAME.test(input.timeframe))
    throw new InvalidQueryInput(`timeframe "${input.timeframe}" is not like 1m, 5m, 1h or 1d`)
  for (const [name, value] of [
    ['from', input.fromMs],
    ['to', input.toMs]
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new InvalidQueryInput(`${name} must be a time at or after 1970, got ${value}`)
  }
  if (input.fromMs > input.toMs)
    throw new InvalidQueryInput(
      `from (${new Date(input.fromMs).toISOString()}) is after to (${new Date(input.toMs).toISOString()})`
    )
  if (!Number.isSafeInteger(input.limit) || input.limit < 1 || input.limit > MAX_QUERY_LIMIT)
    throw new InvalidQueryInput(
      `limit must be a whole number from 1 to ${MAX_QUERY_LIMIT}, got ${input.limit}`
    )
  return input
}

function safeName(what: string, value: string): void {
  if (!SAFE_NAME.test(value))
    throw new InvalidQueryInput(
      `${what} ${JSON.stringify(value)} has characters a ${what} never has (allowed: letters, digits, _ . / : -)`
    )
}

/**
 * The identity (ORDER BY) of the tables that sit behind a write buffer on one server: FINAL deduplicates the
 * stored rows only, so an exact read also keeps one row per identity (a copy still in the buffer). Decimals
 * as text: 18.16 crashes hashing Decimal columns.
 */
const BUFFERED_IDENTITY: Partial<Record<MarketTable, string>> = {
  trades: 'exchange, symbol, ts, id',
  depth: 'exchange, symbol, ts',
  quotes: 'exchange, symbol, ts, toString(bid), toString(ask), toString(bid_size), toString(ask_size)'
}

/**
 * SELECT … FROM <database>.<table> [FINAL] WHERE symbol = … AND ts BETWEEN … ORDER BY ts DESC [LIMIT 1 BY
 * identity] LIMIT n.
 * `queryParameters`: the server supports `{name:Type}` placeholders (see capabilities.ts).
 */
export function buildMarketQuery(
  database: string,
  input: MarketQueryInput,
  options: { queryParameters: boolean }
): BuiltQuery {
  const q = validateMarketQuery(input)
  const params: Record<string, string | number> = {}
  const value = (name: string, type: 'String' | 'UInt64', v: string | number): string => {
    if (options.queryParameters) {
      params[name] = v
      return `{${name}:${type}}`
    }
    return typeof v === 'number' ? String(v) : sqlString(v)
  }
  const conditions = [`symbol = ${value('symbol', 'String', q.symbol)}`]
  if (q.exchange !== undefined) conditions.push(`exchange = ${value('exchange', 'String', q.exchange)}`)
  if (q.table === 'candles' && q.timeframe !== undefined)
    conditions.push(`timeframe = ${value('timeframe', 'String', q.timeframe)}`)
  conditions.push(`ts >= ${value('from', 'UInt64', q.fromMs)}`, `ts <= ${value('to', 'UInt64', q.toMs)}`)
  const query = [
    `SELECT ${COLUMNS[q.table].join(', ')}`,
    `FROM ${database}.${q.table}${q.final ? ' FINAL' : ''}`,
    `WHERE ${conditions.join(' AND ')}`,
    'ORDER BY ts DESC',
    ...(q.final && BUFFERED_IDENTITY[q.table] ? [`LIMIT 1 BY ${BUFFERED_IDENTITY[q.table]}`] : []),
    // Validated to an integer in range above; a plain number is as safe as a parameter here.
    `LIMIT ${q.limit}`
  ].join('\n')
  return { query, params }
}

const RELATIVE = /^-(\d+)(ms|s|m|h|d|w)$/
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const
/** An ISO 8601 date or date-time (time zone optional: UTC when absent). */
const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/

/** `now`, `-5m` / `-2h` / `-1d` (before now), an ISO time, or epoch milliseconds -> epoch ms. */
export function parseTimeArgument(text: string, nowMs: number): number {
  const value = text.trim()
  if (value === 'now') return nowMs
  const relative = RELATIVE.exec(value)
  if (relative) return nowMs - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS]
  if (/^\d{10,16}$/.test(value)) return Number(value)
  if (ISO.test(value)) {
    const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(value) || !value.includes(':') ? value : `${value}Z`
    const ms = Date.parse(zoned.replace(' ', 'T'))
    if (Number.isFinite(ms)) return ms
  }
  throw new InvalidQueryInput(
    `cannot read "${text}" as a time: use now, -30s, -5m, -2h, -1d, an ISO time (2025-01-31T12:00:00Z) or epoch ms`
  )
}

/** "98012.500000000000000000" -> "98012.5", "1.000" -> "1": the same decimal, without the padding of Decimal(38, 18). */
export function trimDecimal(text: string): string {
  if (!/^-?\d+\.\d+$/.test(text)) return text
  return text.replace(/0+$/, '').replace(/\.$/, '')
}
