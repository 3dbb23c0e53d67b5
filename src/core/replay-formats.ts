import { messageKey, type MarketMessage, type TradeMessage } from './messages.ts'
import { parseMessage, validateMessage } from './validate.ts'

/**
 * The file formats `tickbridge replay` reads, one line at a time (docs/replay.md). Pure: a parser turns a
 * line into a canonical message (checked exactly as a bridge checks it) or says why the line is not one.
 * Prices and amounts stay the file's text; nothing passes through a float.
 *
 * - `csv`: canonical trades, `exchange,symbol,id,price,amount,side,ts[,recv_ts]`, with or without that
 *   header (with it, columns may come in any order and unknown ones are ignored).
 * - `jsonl`: one canonical message (wire format v1, any type) per line, sent as written.
 * - `binance`: Binance's public trade dumps (data.binance.vision `…-trades-YYYY-MM-DD.csv`):
 *   `id,price,qty,quoteQty,time,isBuyerMaker[,isBestMatch]`, time in ms or (spot, from 2025) µs.
 */
export const ReplayFormats = ['csv', 'jsonl', 'binance'] as const
export type ReplayFormat = (typeof ReplayFormats)[number]

export type LineResult =
  | { kind: 'message'; message: MarketMessage; key: string; value: string }
  | { kind: 'bad'; reason: string }
  /** A header or a blank line. */
  | { kind: 'skip' }

export interface LineParser {
  /** `first`: the first non-blank line of its file (where a header may be). `now`: for the future-ts check. */
  parse(line: string, first: boolean, now: number): LineResult
}

const SKIP: LineResult = { kind: 'skip' }
const bad = (reason: string): LineResult => ({ kind: 'bad', reason })

export const CSV_COLUMNS = ['exchange', 'symbol', 'id', 'price', 'amount', 'side', 'ts', 'recv_ts'] as const
type CsvColumn = (typeof CSV_COLUMNS)[number]
const REQUIRED_CSV = CSV_COLUMNS.filter((c) => c !== 'recv_ts')
const POSITIONAL: Partial<Record<CsvColumn, number>> = Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, i]))

/** Canonical trades as CSV. A header maps columns by name for the rest of the file. */
export function csvTradeParser(): LineParser {
  let columns = POSITIONAL
  return {
    parse(line, first, now) {
      if (line.trim() === '') return SKIP
      const cells = splitCsvLine(line)
      if (cells === null) return bad('unbalanced quotes')
      // A header names the columns (no data line has the word `price` in a cell: it is not a decimal).
      if (first && cells.some((c) => c.toLowerCase() === 'price')) {
        const named: Partial<Record<CsvColumn, number>> = {}
        cells.forEach((name, i) => {
          const column = name.toLowerCase() as CsvColumn
          if ((CSV_COLUMNS as readonly string[]).includes(column)) named[column] ??= i
        })
        const missing = REQUIRED_CSV.filter((c) => named[c] === undefined)
        if (missing.length > 0) return bad(`header lacks ${missing.join(', ')}`)
        columns = named
        return SKIP
      }
      const cell = (c: CsvColumn) => (columns[c] === undefined ? undefined : cells[columns[c]])
      if (columns === POSITIONAL && cells.length !== 7 && cells.length !== 8)
        return bad(`expected 7 or 8 columns (${CSV_COLUMNS.join(',')}), got ${cells.length}`)
      for (const c of REQUIRED_CSV) if (!cell(c)) return bad(`missing ${c}`)
      const ts = epochMs(cell('ts') as string, 'ts')
      if (typeof ts === 'string') return bad(ts)
      const recvText = cell('recv_ts')
      const recvTs = recvText ? epochMs(recvText, 'recv_ts') : ts
      if (typeof recvTs === 'string') return bad(recvTs)
      return trade(
        {
          v: 1,
          type: 'trade',
          exchange: cell('exchange') as string,
          symbol: cell('symbol') as string,
          id: cell('id') as string,
          price: cell('price') as string,
          amount: cell('amount') as string,
          side: (cell('side') as string).toLowerCase() as TradeMessage['side'],
          ts,
          recv_ts: recvTs
        },
        now
      )
    }
  }
}

/** Canonical messages as JSON lines, any type; the line is sent as written. */
export function jsonLinesParser(): LineParser {
  return {
    parse(line, _first, now) {
      const text = line.trim()
      if (text === '') return SKIP
      const parsed = parseMessage(text, now)
      if (!parsed.ok) return bad(parsed.reason)
      return { kind: 'message', message: parsed.message, key: messageKey(parsed.message), value: text }
    }
  }
}

/** Binance's trade dumps for one symbol (the file names none of it but the symbol). */
export function binanceTradeParser(options: { exchange: string; symbol: string }): LineParser {
  return {
    parse(line, first, now) {
      if (line.trim() === '') return SKIP
      const cells = line.split(',').map((c) => c.trim())
      if (first && !/^\d+$/.test(cells[0] ?? '')) return SKIP // a header (newer dumps have one)
      if (cells.length !== 6 && cells.length !== 7)
        return bad(
          `expected 6 or 7 columns (id,price,qty,quoteQty,time,isBuyerMaker[,isBestMatch]), got ${cells.length}`
        )
      const [id, price, qty, , time, isBuyerMaker] = cells as [string, string, string, string, string, string]
      if (!/^\d+$/.test(id)) return bad(`id: "${id}" is not a trade id`)
      if (!/^\d{1,19}$/.test(time)) return bad(`time: "${time}" is not an epoch timestamp`)
      // Spot dumps switched from ms to µs on 2025-01-01: 16 digits and more are µs (ms reach 16 digits in 2286).
      const ts = Number(time.length >= 16 ? time.slice(0, -3) : time)
      const maker = isBuyerMaker.toLowerCase()
      if (maker !== 'true' && maker !== 'false')
        return bad(`isBuyerMaker: "${isBuyerMaker}" is not true or false`)
      return trade(
        {
          v: 1,
          type: 'trade',
          exchange: options.exchange,
          symbol: options.symbol,
          id,
          price,
          amount: qty,
          // The buyer was the maker, so the taker sold.
          side: maker === 'true' ? 'sell' : 'buy',
          ts,
          recv_ts: ts
        },
        now
      )
    }
  }
}

/** `BTCUSDT-trades-2024-01-01.csv` (or `.zip`, `.gz`, monthly) -> `BTCUSDT`. */
export function symbolFromBinanceFileName(name: string): string | null {
  return /^([A-Z0-9]+)-trades-\d{4}-\d{2}(-\d{2})?\b/.exec(name)?.[1] ?? null
}

export function lineParser(format: ReplayFormat, options: { exchange: string; symbol: string }): LineParser {
  if (format === 'csv') return csvTradeParser()
  if (format === 'jsonl') return jsonLinesParser()
  return binanceTradeParser(options)
}

/** A trade built in wire-format field order (so bridges take their fast path), checked as a bridge checks it. */
function trade(message: TradeMessage, now: number): LineResult {
  const checked = validateMessage(message, now)
  if (!checked.ok) return bad(checked.reason)
  return { kind: 'message', message, key: messageKey(message), value: JSON.stringify(message) }
}

/** Digits only (no sign, fraction or exponent): the epoch ms, else the reason. */
function epochMs(text: string, name: string): number | string {
  if (!/^\d{1,16}$/.test(text)) return `${name}: "${text}" is not an integer epoch ms`
  return Number(text)
}

/**
 * One CSV line into trimmed cells: commas separate, a cell may be double-quoted (`""` is a quote inside it).
 * Null when a quote is left open (a cell spanning lines is not supported).
 */
export function splitCsvLine(line: string): string[] | null {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line
  if (!text.includes('"')) return text.split(',').map((c) => c.trim())
  const cells: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"'
        i++
      } else if (ch === '"') quoted = false
      else cell += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') {
      cells.push(cell.trim())
      cell = ''
    } else cell += ch
  }
  if (quoted) return null
  cells.push(cell.trim())
  return cells
}
