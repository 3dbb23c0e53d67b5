import type { TradeMessage } from './messages.ts'
import { sqlString } from './sql.ts'

/**
 * Exact OHLCV candles from trades (docs/candles.md). Candles are never accumulated incrementally: after
 * trades are inserted, the touched candles are recomputed from the deduplicated trades (FINAL, or a read
 * without it where a slice holds no trade twice: pieceCheckSql), so a re-delivered trade can never be counted
 * twice, and a worker that dies mid-window leaves nothing half-done that the next owner does not recompute (its
 * trades are re-delivered, because offsets are committed only after the recompute). 10s candles come from
 * trades, 1m from the exact 10s ones, 5m..1d from the exact 1m ones. Pure: this file builds SQL text and reads
 * the checked slices' rows.
 */
export const ROLLUP_TIMEFRAMES = [
  ['5m', 300_000],
  ['15m', 900_000],
  ['1h', 3_600_000],
  ['4h', 14_400_000],
  ['1d', 86_400_000]
] as const
export const MINUTE_MS = 60_000
const DAY_MS = 86_400_000

/** The span of trade times touched for one exchange:symbol. */
export interface CandleScope {
  exchange: string
  symbol: string
  fromTs: number
  toTs: number
}

export type ScopeMap = Map<string, CandleScope>

/**
 * The scope key of an exchange and symbol: the text between their quotes in a canonical message,
 * `<exchange>","symbol":"<symbol>` (an exchange never contains a quote, so the key is unambiguous), which the
 * bridge's fast path can take from a message's bytes in one slice.
 */
export function scopeKey(exchange: string, symbol: string): string {
  return `${exchange}","symbol":"${symbol}`
}

export function addToScope(scopes: ScopeMap, trade: Pick<TradeMessage, 'exchange' | 'symbol' | 'ts'>): void {
  addToScopeByKey(scopes, scopeKey(trade.exchange, trade.symbol), trade.ts, () => trade)
}

/** Widens the scope under `key` to `ts`; `names` gives exchange and symbol only when the scope is new. */
export function addToScopeByKey(
  scopes: ScopeMap,
  key: string,
  ts: number,
  names: () => { exchange: string; symbol: string }
): void {
  const scope = scopes.get(key)
  if (!scope) {
    const { exchange, symbol } = names()
    scopes.set(key, { exchange, symbol, fromTs: ts, toTs: ts })
  } else {
    if (ts < scope.fromTs) scope.fromTs = ts
    if (ts > scope.toTs) scope.toTs = ts
  }
}

export function mergeScopes(into: ScopeMap, from: Iterable<CandleScope>): void {
  for (const scope of from) {
    addToScope(into, { exchange: scope.exchange, symbol: scope.symbol, ts: scope.fromTs })
    addToScope(into, { exchange: scope.exchange, symbol: scope.symbol, ts: scope.toTs })
  }
}

const floorTo = (ts: number, unit: number) => Math.floor(ts / unit) * unit

/** The columns of a candle row, in the order every statement here writes them. */
export const CANDLE_COLUMNS =
  'exchange, symbol, timeframe, source, ts, open, high, low, close, volume, trades, recv_ts, version'

function symbolMatch(scope: CandleScope): string {
  return `exchange = ${sqlString(scope.exchange)} AND symbol = ${sqlString(scope.symbol)}`
}

/**
 * The smallest candle, computed from the trades: every recompute reads only the touched 10-second slices of
 * the trades (not the whole minute so far, whose cost grew with every second of a busy minute: at 50,000
 * msg/s, recomputing a whole minute per refresh cost ClickHouse as much as all inserts together). 1m candles
 * are rolled up from these, and the rest from 1m.
 */
export const PIECE_TIMEFRAME = ['10s', 10_000] as const
export const MINUTE_TIMEFRAME = [['1m', MINUTE_MS]] as const

function pieceSelect(database: string, scopes: CandleScope[], from: string, extra = ''): string {
  const [name, ms] = PIECE_TIMEFRAME
  const where = scopes
    .map((s) => `(${symbolMatch(s)} AND ts >= ${floorTo(s.fromTs, ms)} AND ts < ${floorTo(s.toTs, ms) + ms})`)
    .join(' OR ')
  return `SELECT exchange, symbol, '${name}', 'trades', intDiv(ts, ${ms}) * ${ms} AS bucket,
  argMin(price, (ts, id)), max(price), min(price), argMax(price, (ts, id)), sum(amount), count(), max(recv_ts), count()${extra}
FROM ${database}.${from}
WHERE ${where}
GROUP BY exchange, symbol, bucket`
}

/**
 * Recompute the 10s candles of every touched 10-second slice from the deduplicated trades. `tradesTable` holds
 * the trades written for good (`trades_local` behind a write buffer: a buffered copy of a trade would escape
 * FINAL, and the candle with one trade too many would win as the higher version).
 */
export function pieceCandlesSql(database: string, scopes: CandleScope[], tradesTable = 'trades'): string {
  return `INSERT INTO ${database}.candles (${CANDLE_COLUMNS})\n${pieceSelect(database, scopes, `${tradesTable} FINAL`)}`
}

/**
 * The 10s candles of the touched slices read without FINAL, each with its number of distinct trade identities
 * last (as TabSeparated: exact decimal text, inserted as it is). FINAL merges the rows of every part in the
 * range, and its cost grows with the parts (a 20-second range of 8 symbols in 120 parts: ~1,000 ms of CPU
 * against ~220 ms without, docs/candles.md); a slice whose rows are all distinct is the same with or without it.
 * `splitPieceCheck` keeps those and names the slices with a trade stored twice, for `pieceCandlesSql`. A hash
 * collision can only make a slice look duplicated (recomputed with FINAL), never hide a duplicate.
 */
export function pieceCheckSql(database: string, scopes: CandleScope[], tradesTable = 'trades'): string {
  return pieceSelect(database, scopes, tradesTable, ',\n  uniqExact(cityHash64(ts, id))')
}

/** The 13 candle columns of a checked slice, then its number of distinct trades (pieceCheckSql). */
const CHECKED_FIELDS = 14
const COUNT_FIELD = 10

export interface PieceCheck {
  /** TabSeparated candle rows (`CANDLE_COLUMNS`) of the slices without duplicates, ready to insert. */
  stored: string
  /**
   * What to recompute from FINAL: per exchange:symbol, the span of its slices with a trade stored more than once
   * (one term per symbol, as before: a re-delivery of minutes of many symbols would otherwise make a term per
   * slice, past the server's max_query_size; the clean slices inside a span are recomputed too, as exact).
   */
  duplicated: CandleScope[]
}

export function splitPieceCheck(tsv: string): PieceCheck {
  let stored = ''
  const duplicated: ScopeMap = new Map()
  for (const line of tsv.split('\n')) {
    if (line === '') continue
    const fields = line.split('\t')
    if (fields.length !== CHECKED_FIELDS)
      throw new Error(`a checked candle row has ${fields.length} fields: ${line}`)
    if (fields[COUNT_FIELD] === fields[CHECKED_FIELDS - 1]) stored += `${fields.slice(0, -1).join('\t')}\n`
    else
      addToScope(duplicated, {
        exchange: unescapeTsv(fields[0]!),
        symbol: unescapeTsv(fields[1]!),
        ts: Number(fields[4])
      })
  }
  return { stored, duplicated: [...duplicated.values()] }
}

const TSV_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '0': '\0' }

/** A TabSeparated field as text: ClickHouse escapes \\, tab, newline, quotes and a few control characters. */
export function unescapeTsv(field: string): string {
  return field.replace(/\\(.)/g, (_, c: string) => TSV_ESCAPES[c] ?? c)
}

/**
 * Roll exact candles of timeframe `from` up into the `to` timeframes (10s into 1m, and 1m into 5m, 15m, 1h, 4h
 * and 1d), only for the buckets that were touched.
 */
export function rollupCandlesSql(
  database: string,
  scopes: CandleScope[],
  from = '1m',
  to: readonly (readonly [string, number])[] = ROLLUP_TIMEFRAMES
): string {
  const timeframes = to.map(([name, ms]) => `('${name}', ${ms})`).join(', ')
  const span = 'tupleElement(tf, 2)'
  const where = scopes
    .map(
      (s) =>
        `(${symbolMatch(s)} AND ts >= ${floorTo(s.fromTs, DAY_MS)} AND ts < ${floorTo(s.toTs, DAY_MS) + DAY_MS}` +
        ` AND ts >= intDiv(${s.fromTs}, ${span}) * ${span} AND ts < (intDiv(${s.toTs}, ${span}) + 1) * ${span})`
    )
    .join(' OR ')
  return `INSERT INTO ${database}.candles (${CANDLE_COLUMNS})
SELECT exchange, symbol, tupleElement(tf, 1) AS frame, 'trades', intDiv(ts, ${span}) * ${span} AS bucket,
  argMin(open, ts), max(high), min(low), argMax(close, ts), sum(volume), sum(trades), max(recv_ts), sum(trades)
FROM ${database}.candles FINAL
ARRAY JOIN [${timeframes}] AS tf
WHERE timeframe = '${from}' AND source = 'trades' AND (${where})
GROUP BY exchange, symbol, frame, bucket`
}

/** The statements of one candle refresh, in order: 10s from trades, 1m from 10s, the rest from 1m. */
export function candleRefreshSql(database: string, scopes: CandleScope[], tradesTable = 'trades'): string[] {
  return [pieceCandlesSql(database, scopes, tradesTable), ...candleRollupSql(database, scopes)]
}

/** A refresh's statements after the 10s candles: 1m from 10s, the rest from 1m. */
export function candleRollupSql(database: string, scopes: CandleScope[]): string[] {
  return [
    rollupCandlesSql(database, scopes, PIECE_TIMEFRAME[0], MINUTE_TIMEFRAME),
    rollupCandlesSql(database, scopes)
  ]
}

/** What to rebuild: trades with `fromMs <= ts <= toMs`, optionally of one exchange and/or symbol. */
export interface RebuildWindow {
  fromMs: number
  toMs: number
  exchange?: string
  symbol?: string
}

/**
 * The candle scopes of a rebuild: every exchange:symbol with trades in the window, with the span of their
 * times (columns exchange, symbol, from_ts, to_ts; the times as text, UInt64 in JSON).
 */
export function rebuildScopesSql(database: string, window: RebuildWindow, tradesTable = 'trades'): string {
  const filters = [
    `ts >= ${Math.floor(window.fromMs)}`,
    `ts <= ${Math.floor(window.toMs)}`,
    ...(window.exchange === undefined ? [] : [`exchange = ${sqlString(window.exchange)}`]),
    ...(window.symbol === undefined ? [] : [`symbol = ${sqlString(window.symbol)}`])
  ]
  return `SELECT exchange, symbol, toString(min(ts)) AS from_ts, toString(max(ts)) AS to_ts
FROM ${database}.${tradesTable}
WHERE ${filters.join(' AND ')}
GROUP BY exchange, symbol
ORDER BY exchange, symbol`
}
