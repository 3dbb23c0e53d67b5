import { MAX_FUTURE_SKEW_MS } from './validate.ts'
import type { RowBody } from './row-body.ts'

/**
 * The bridge's hot path for the message it sees most: a trade exactly as tickbridge's own feeds and simulator
 * write it (JSON.stringify of a TradeMessage: fields in wire-format order, no whitespace, plain ASCII strings).
 * Such a trade is checked on its bytes against the same rules as the v1 schema and copied into the insert
 * body as the same JSONEachRow row tradeRow() would build — without decoding the value to a string, JSON.parse,
 * a message object, ajv, or a row string (together most of the bridge's CPU and garbage).
 *
 * It only ever says "yes, exactly this row" or "not for me": anything else (another key order, whitespace,
 * escapes, non-ASCII, another type, or any rule broken) returns false and the message takes the general path,
 * which accepts or dead-letters it with the reason. test/core/trade-fast-path.test.ts checks, over generated
 * and mutated messages, that whatever this accepts the general path accepts with a byte-identical row.
 * Pure.
 */
export class TradeSpans {
  /** Byte offsets into the value: exchange..symbol text (no quotes), id, price, amount. */
  exchangeStart = 0
  exchangeEnd = 0
  symbolStart = 0
  symbolEnd = 0
  idStart = 0
  idEnd = 0
  priceStart = 0
  priceEnd = 0
  amountStart = 0
  amountEnd = 0
  sideStart = 0
  sideEnd = 0
  /** ts and recv_ts: their digits' offsets (the row copies them: 13 digits, no leading zero) and values. */
  tsStart = 0
  tsEnd = 0
  recvStart = 0
  recvEnd = 0
  ts = 0
  recvTs = 0
}

const PREFIX = Buffer.from('{"v":1,"type":"trade","exchange":"')
const K_SYMBOL = Buffer.from('","symbol":"')
const K_ID = Buffer.from('","id":"')
const K_PRICE = Buffer.from('","price":"')
const K_AMOUNT = Buffer.from('","amount":"')
const K_SIDE = Buffer.from('","side":"')
const K_TS = Buffer.from('","ts":')
const K_RECV = Buffer.from(',"recv_ts":')
const SIDES = ['buy', 'sell', 'unknown'].map((side) => Buffer.from(side))
const QUOTE = 0x22
const BACKSLASH = 0x5c
const DOT = 0x2e
const ZERO = 0x30
const NINE = 0x39
const MIN_EPOCH_MS = 946684800000
const MAX_EPOCH_MS = 4102444800000

/** True when `value` is a canonical trade the fast path takes; `spans` then describes it. */
export function scanTrade(value: Buffer, now: number, spans: TradeSpans): boolean {
  const n = value.length
  if (n < 80 || !startsWith(value, 0, PREFIX)) return false
  let i = PREFIX.length
  // exchange: ^[a-z0-9_-]{1,32}$
  spans.exchangeStart = i
  while (i < n && isExchangeChar(value[i] as number)) i++
  spans.exchangeEnd = i
  if (i === spans.exchangeStart || i - spans.exchangeStart > 32 || !startsWith(value, i, K_SYMBOL))
    return false
  i += K_SYMBOL.length
  // symbol: 1..64 printable ASCII, no quote or backslash (those take the general path)
  spans.symbolStart = i
  i = plainString(value, i)
  spans.symbolEnd = i
  if (i < 0 || i === spans.symbolStart || i - spans.symbolStart > 64 || !startsWith(value, i, K_ID))
    return false
  i += K_ID.length
  spans.idStart = i
  i = plainString(value, i)
  spans.idEnd = i
  if (i < 0 || i === spans.idStart || i - spans.idStart > 128 || !startsWith(value, i, K_PRICE)) return false
  i += K_PRICE.length
  spans.priceStart = i
  i = decimal(value, i)
  spans.priceEnd = i
  if (i < 0 || !startsWith(value, i, K_AMOUNT)) return false
  i += K_AMOUNT.length
  spans.amountStart = i
  i = decimal(value, i)
  spans.amountEnd = i
  if (i < 0 || !startsWith(value, i, K_SIDE)) return false
  i += K_SIDE.length
  // side: buy | sell | unknown
  const side = sideLength(value, i)
  if (side === 0) return false
  spans.sideStart = i
  i += side
  spans.sideEnd = i
  if (!startsWith(value, i, K_TS)) return false
  i += K_TS.length
  const tsEnd = epochEnd(value, i)
  if (tsEnd < 0) return false
  spans.ts = digits(value, i, tsEnd)
  spans.tsStart = i
  spans.tsEnd = tsEnd
  i = tsEnd
  if (!startsWith(value, i, K_RECV)) return false
  i += K_RECV.length
  const recvEnd = epochEnd(value, i)
  if (recvEnd < 0 || recvEnd !== n - 1 || value[recvEnd] !== 0x7d) return false
  spans.recvTs = digits(value, i, recvEnd)
  spans.recvStart = i
  spans.recvEnd = recvEnd
  if (spans.ts < MIN_EPOCH_MS || spans.ts > MAX_EPOCH_MS || spans.ts > now + MAX_FUTURE_SKEW_MS) return false
  return spans.recvTs >= MIN_EPOCH_MS && spans.recvTs <= MAX_EPOCH_MS
}

const R_EXCHANGE = Buffer.from('{"exchange":"')
const R_SYMBOL = Buffer.from('","symbol":"')
const R_TS = Buffer.from('","ts":')
const R_ID = Buffer.from(',"id":"')
const R_PRICE = Buffer.from('","price":')
const R_AMOUNT = Buffer.from(',"amount":')
const R_SIDE = Buffer.from(',"side":"')
const R_RECV = Buffer.from('","recv_ts":')
const R_END = Buffer.from('}\n')

/** Writes the trade's JSONEachRow row: byte-identical to tradeRow() of the parsed message. */
export function writeTradeRow(body: RowBody, value: Buffer, spans: TradeSpans): void {
  body.begin(value.length + 64)
  body.putBytes(R_EXCHANGE)
  body.copy(value, spans.exchangeStart, spans.exchangeEnd)
  body.putBytes(R_SYMBOL)
  body.copy(value, spans.symbolStart, spans.symbolEnd)
  body.putBytes(R_TS)
  body.copy(value, spans.tsStart, spans.tsEnd)
  body.putBytes(R_ID)
  body.copy(value, spans.idStart, spans.idEnd)
  body.putBytes(R_PRICE)
  body.copy(value, spans.priceStart, spans.priceEnd)
  body.putBytes(R_AMOUNT)
  body.copy(value, spans.amountStart, spans.amountEnd)
  body.putBytes(R_SIDE)
  body.copy(value, spans.sideStart, spans.sideEnd)
  body.putBytes(R_RECV)
  body.copy(value, spans.recvStart, spans.recvEnd)
  body.putBytes(R_END)
  body.endRow()
}

function startsWith(value: Buffer, at: number, expected: Buffer): boolean {
  if (at + expected.length > value.length) return false
  for (let k = 0; k < expected.length; k++) if (value[at + k] !== expected[k]) return false
  return true
}

/** Length of the side (buy | sell | unknown) at `at`, or 0. */
function sideLength(value: Buffer, at: number): number {
  for (const side of SIDES) if (startsWith(value, at, side)) return side.length
  return 0
}

function isExchangeChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= ZERO && c <= NINE) || c === 0x5f || c === 0x2d
}

/** End of a string's content of printable ASCII without quote or backslash; -1 if it has anything else. */
function plainString(value: Buffer, i: number): number {
  for (; i < value.length; i++) {
    const c = value[i] as number
    if (c === QUOTE) return i
    if (c < 0x20 || c > 0x7e || c === BACKSLASH) return -1
  }
  return -1
}

/** End of ^(0|[1-9][0-9]{0,19})(\.[0-9]{1,18})?$ starting at i (followed by a quote), or -1. */
function decimal(value: Buffer, i: number): number {
  const start = i
  const first = value[i]
  if (first === ZERO) i++
  else if (first !== undefined && first > ZERO && first <= NINE) {
    while (i < value.length && isDigit(value[i] as number)) i++
    if (i - start > 20) return -1
  } else return -1
  if (value[i] === DOT) {
    const fraction = ++i
    while (i < value.length && isDigit(value[i] as number)) i++
    if (i === fraction || i - fraction > 18) return -1
  }
  return value[i] === QUOTE ? i : -1
}

/** End of a 13-digit integer without a leading zero (epoch ms from 2001 to 2286), or -1. */
function epochEnd(value: Buffer, i: number): number {
  const start = i
  if (value[i] === ZERO) return -1
  while (i < value.length && isDigit(value[i] as number)) i++
  return i - start === 13 ? i : -1
}

function digits(value: Buffer, start: number, end: number): number {
  let n = 0
  for (let i = start; i < end; i++) n = n * 10 + ((value[i] as number) - ZERO)
  return n
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE
}
