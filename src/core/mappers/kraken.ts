import { toDecimalText } from '../decimal-text.ts'
import type { TradeMessage } from '../messages.ts'
import type { Mapped } from './wallex.ts'
import { object, text } from './fields.ts'

/**
 * Kraken spot WebSocket v2 frames -> canonical messages (pure). Frames are parsed with every JSON number kept
 * as its literal text (lossless-json), because Kraken sends prices and quantities as JSON numbers at the
 * instrument's full precision and the book checksum is computed from that text (trailing zeros included).
 * Facts and sources: docs/exchanges/kraken.md.
 */
export const KRAKEN = 'kraken'

/** One price level as sent: the literal number text, e.g. `{ price: '0.5670', qty: '4410.79769741' }`. */
export interface KrakenLevel {
  price: string
  qty: string
}

/** One `book` message's payload (`data[0]`). */
export interface KrakenBookData {
  symbol: string
  bids: KrakenLevel[]
  asks: KrakenLevel[]
  /** CRC32 of the top 10 levels per side after applying this message (unsigned). */
  checksum: number
  /** Exchange time, epoch ms (the RFC 3339 `timestamp`, truncated to the millisecond). */
  ts: number
}

/** What a v2 frame is. Prices stay literal text; `connectionId` stays text (it exceeds 2^53). */
export type KrakenFrame =
  | { kind: 'trade'; data: unknown[] }
  | { kind: 'book'; type: 'snapshot' | 'update'; data: unknown[] }
  | { kind: 'heartbeat' }
  | { kind: 'status'; system: string; connectionId: string }
  | { kind: 'pong'; reqId: string | null }
  | {
      kind: 'ack'
      method: 'subscribe' | 'unsubscribe'
      channel: string | null
      symbol: string | null
      success: boolean
      error: string | null
    }

const SYMBOL = /^[A-Za-z0-9.]{1,24}\/[A-Za-z0-9.]{1,24}$/
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/

/** An RFC 3339 UTC time (`2023-09-25T07:48:36.925533Z`) -> epoch ms, the fraction truncated. No float. */
export function parseRfc3339Ms(value: unknown): number | null {
  const match = typeof value === 'string' ? RFC3339.exec(value) : null
  if (!match) return null
  const [, y, mo, d, h, mi, s, fraction = ''] = match
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s))
  return Number.isFinite(ms) ? ms + Number(fraction.padEnd(3, '0').slice(0, 3)) : null
}

/** Classifies a parsed frame (number literals as text); unknown shapes are refused with the reason. */
export function classifyKrakenFrame(frame: unknown): Mapped<KrakenFrame> {
  const raw = object(frame)
  if (!raw) return { ok: false, reason: 'frame is not an object' }
  if (raw.method === 'pong') return { ok: true, value: { kind: 'pong', reqId: text(raw.req_id) } }
  if (raw.method === 'subscribe' || raw.method === 'unsubscribe') {
    const result = object(raw.result)
    return {
      ok: true,
      value: {
        kind: 'ack',
        method: raw.method,
        channel: text(result?.channel),
        // On a refusal the symbol is at the top level, not in `result`.
        symbol: text(result?.symbol) ?? text(raw.symbol),
        success: raw.success === true,
        error: text(raw.error)
      }
    }
  }
  switch (raw.channel) {
    case 'heartbeat':
      return { ok: true, value: { kind: 'heartbeat' } }
    case 'status': {
      const data = Array.isArray(raw.data) ? object(raw.data[0]) : null
      const system = text(data?.system)
      const connectionId = text(data?.connection_id)
      if (system === null || connectionId === null || !/^\d{1,20}$/.test(connectionId))
        return { ok: false, reason: 'status frame without system and integer connection_id' }
      return { ok: true, value: { kind: 'status', system, connectionId } }
    }
    case 'trade':
      if (!Array.isArray(raw.data)) return { ok: false, reason: 'trade frame has no data array' }
      return { ok: true, value: { kind: 'trade', data: raw.data as unknown[] } }
    case 'book':
      if (raw.type !== 'snapshot' && raw.type !== 'update')
        return { ok: false, reason: `book frame type ${JSON.stringify(raw.type)} is not snapshot or update` }
      if (!Array.isArray(raw.data)) return { ok: false, reason: 'book frame has no data array' }
      return { ok: true, value: { kind: 'book', type: raw.type, data: raw.data as unknown[] } }
  }
  if (raw.success === false && typeof raw.error === 'string')
    return { ok: false, reason: `exchange error: ${raw.error}` }
  return { ok: false, reason: `unknown frame (channel ${JSON.stringify(raw.channel)})` }
}

/** One element of a `trade` frame's `data` -> a canonical trade. `side` is the taker's side. */
export function mapKrakenTrade(item: unknown, recvTs: number): Mapped<TradeMessage> {
  const raw = object(item)
  if (!raw) return { ok: false, reason: 'trade is not an object' }
  const symbol = text(raw.symbol)
  if (symbol === null || !SYMBOL.test(symbol))
    return { ok: false, reason: `trade symbol ${JSON.stringify(raw.symbol)} is not BASE/QUOTE` }
  const id = text(raw.trade_id)
  if (id === null || !/^\d{1,19}$/.test(id))
    return { ok: false, reason: `trade_id ${JSON.stringify(raw.trade_id)} is not an integer` }
  const price = text(raw.price) === null ? null : toDecimalText(raw.price as string)
  if (price === null) return { ok: false, reason: `trade price ${JSON.stringify(raw.price)} is not a number` }
  const amount = text(raw.qty) === null ? null : toDecimalText(raw.qty as string)
  if (amount === null) return { ok: false, reason: `trade qty ${JSON.stringify(raw.qty)} is not a number` }
  if (raw.side !== 'buy' && raw.side !== 'sell')
    return { ok: false, reason: `trade side ${JSON.stringify(raw.side)} is not buy or sell` }
  const ts = parseRfc3339Ms(raw.timestamp)
  if (ts === null)
    return { ok: false, reason: `trade timestamp ${JSON.stringify(raw.timestamp)} is not RFC 3339` }
  return {
    ok: true,
    value: {
      v: 1,
      type: 'trade',
      exchange: KRAKEN,
      symbol,
      id: id.replace(/^0+(?=\d)/, ''),
      price,
      amount,
      side: raw.side,
      ts,
      recv_ts: recvTs
    }
  }
}

function levels(value: unknown, what: string): Mapped<KrakenLevel[]> {
  if (value === undefined) return { ok: true, value: [] } // conservative: a side with no change may be left out
  if (!Array.isArray(value)) return { ok: false, reason: `${what} is not an array` }
  const out: KrakenLevel[] = []
  for (const level of value as unknown[]) {
    const raw = object(level)
    const price = text(raw?.price)
    const qty = text(raw?.qty)
    if (price === null || qty === null || toDecimalText(price) === null || toDecimalText(qty) === null)
      return { ok: false, reason: `${what} level ${JSON.stringify(level)} is not {price, qty} numbers` }
    out.push({ price, qty })
  }
  return { ok: true, value: out }
}

/** The payload of a `book` snapshot or update (`data[0]`), levels kept as literal text for the checksum. */
export function parseKrakenBook(data: unknown[]): Mapped<KrakenBookData> {
  const raw = object(data[0])
  if (!raw || data.length !== 1) return { ok: false, reason: 'book data is not one object' }
  const symbol = text(raw.symbol)
  if (symbol === null || !SYMBOL.test(symbol))
    return { ok: false, reason: `book symbol ${JSON.stringify(raw.symbol)} is not BASE/QUOTE` }
  const bids = levels(raw.bids, 'bid')
  if (!bids.ok) return bids
  const asks = levels(raw.asks, 'ask')
  if (!asks.ok) return asks
  const checksum = text(raw.checksum)
  if (checksum === null || !/^\d{1,10}$/.test(checksum) || Number(checksum) > 0xffffffff)
    return {
      ok: false,
      reason: `book checksum ${JSON.stringify(raw.checksum)} is not an unsigned 32-bit integer`
    }
  const ts = parseRfc3339Ms(raw.timestamp)
  if (ts === null)
    return { ok: false, reason: `book timestamp ${JSON.stringify(raw.timestamp)} is not RFC 3339` }
  return { ok: true, value: { symbol, bids: bids.value, asks: asks.value, checksum: Number(checksum), ts } }
}

/** The subscribe requests for trades (no snapshot: the REST history fills gaps) and the book. */
export function krakenSubscriptions(
  symbols: string[],
  depth: number,
  reqId: () => number
): Record<string, unknown>[] {
  return [
    { method: 'subscribe', params: { channel: 'trade', symbol: symbols, snapshot: false }, req_id: reqId() },
    bookRequest('subscribe', symbols, depth, reqId())
  ]
}

/** A `book` subscribe (always with a snapshot) or unsubscribe request. */
export function bookRequest(
  method: 'subscribe' | 'unsubscribe',
  symbols: string[],
  depth: number,
  reqId: number
): Record<string, unknown> {
  const params =
    method === 'subscribe'
      ? { channel: 'book', symbol: symbols, depth, snapshot: true }
      : { channel: 'book', symbol: symbols, depth }
  return { method, params, req_id: reqId }
}

/**
 * The REST `pair` for a WebSocket v2 symbol: Kraken's REST docs name pairs by their altname (`XBTUSD`), where
 * v2 says `BTC/USD`. Inferred rule: drop the slash and use Kraken's legacy asset codes for the two assets v2
 * renamed (BTC -> XBT, DOGE -> XDG). The response is keyed by yet another name (`XXBTZUSD`), so it is read
 * by position, never by that key.
 */
const REST_ASSET_CODES: Record<string, string> = { BTC: 'XBT', DOGE: 'XDG' }

export function krakenRestPair(symbol: string): string {
  const [base = '', quote = ''] = symbol.split('/')
  return (REST_ASSET_CODES[base] ?? base) + (REST_ASSET_CODES[quote] ?? quote)
}

/** Kraken's "too many requests" error codes (REST answers them with HTTP 200 and an `error` array). */
export function isKrakenRateLimit(error: string): boolean {
  return error === 'EAPI:Rate limit exceeded' || error === 'EGeneral:Too many requests'
}

/** A time in seconds as a number literal (`1688669597.8277369`) -> epoch ms, truncated. No float. */
function secondsToMs(literal: string): number | null {
  const plain = toDecimalText(literal)
  if (plain === null) return null
  const [seconds = '', fraction = ''] = plain.split('.')
  const ms = Number(seconds) * 1000 + Number(fraction.padEnd(3, '0').slice(0, 3))
  return Number.isSafeInteger(ms) ? ms : null
}

export type KrakenRestTrades =
  { ok: true; trades: TradeMessage[]; last: string } | { ok: false; reason: string; errors: string[] }

/**
 * A `GET /0/public/Trades` body (parsed with number literals as text):
 * `{"error":[],"result":{"XXBTZUSD":[[price, volume, time, "b"|"s", "m"|"l", misc, trade_id]],"last":"<ns>"}}`
 * -> canonical trades of `symbol` (the WebSocket spelling, so they deduplicate with streamed ones).
 */
export function parseKrakenRestTrades(body: unknown, symbol: string, recvTs: number): KrakenRestTrades {
  const raw = object(body)
  if (!raw) return { ok: false, reason: 'Trades response is not an object', errors: [] }
  const errors = Array.isArray(raw.error) ? (raw.error as unknown[]).filter((e) => typeof e === 'string') : []
  if (errors.length > 0) return { ok: false, reason: `Trades error: ${errors.join(', ')}`, errors }
  const result = object(raw.result)
  const last = text(result?.last)
  const rowsKey = result ? Object.keys(result).find((key) => key !== 'last') : undefined
  const rows = rowsKey === undefined ? undefined : result?.[rowsKey]
  if (!result || last === null || !/^\d+$/.test(last) || !Array.isArray(rows))
    return { ok: false, reason: 'Trades response has no result rows and last', errors: [] }
  const trades: TradeMessage[] = []
  for (const row of rows as unknown[]) {
    const fields = Array.isArray(row) ? (row as unknown[]).map(text) : []
    const [price, volume, time, side, , , id] = fields
    const ts = time ? secondsToMs(time) : null
    const trade = {
      price: price ? toDecimalText(price) : null,
      amount: volume ? toDecimalText(volume) : null,
      side: side === 'b' ? 'buy' : side === 's' ? 'sell' : null
    } as const
    if (!trade.price || !trade.amount || !trade.side || ts === null || !id || !/^\d{1,19}$/.test(id))
      return { ok: false, reason: `Trades row ${JSON.stringify(row)} is not a trade`, errors: [] }
    trades.push({
      v: 1,
      type: 'trade',
      exchange: KRAKEN,
      symbol,
      id: id.replace(/^0+(?=\d)/, ''),
      price: trade.price,
      amount: trade.amount,
      side: trade.side,
      ts,
      recv_ts: recvTs
    })
  }
  return { ok: true, trades, last }
}
