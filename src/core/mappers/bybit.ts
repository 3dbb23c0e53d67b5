import type { PriceLevel, TradeMessage } from '../messages.ts'
import type { Mapped } from './wallex.ts'
import { compactSymbol, decimal, integer, object } from './fields.ts'

/**
 * Bybit v5 public spot frames -> canonical messages (pure). One socket (`wss://stream.bybit.com/v5/public/spot`)
 * carries every topic: `{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":…,"data":[…]}` (up to 1024
 * trades), `{"topic":"orderbook.50.BTCUSDT","ts":…,"type":"snapshot"|"delta","data":{"s","b","a","u","seq"},
 * "cts":…}`, and answers to requests: `{"success":true,"ret_msg":"subscribe","conn_id":"…","req_id":"…",
 * "op":"subscribe"}`, `{"success":true,"ret_msg":"pong",…,"op":"ping"}`, refusals with `success:false`.
 * Prices and sizes are strings; frames are parsed with lossless-json anyway (ids and times stay text).
 * Facts and sources: docs/exchanges/bybit.md.
 */
export const BYBIT = 'bybit'

/** The book depth subscribed: the smallest of Bybit's spot depths (1, 50, 200, 1000) that holds 20 levels. */
export const BYBIT_BOOK_DEPTH = 50
/** Bybit spot accepts at most 10 topics in one subscribe request. */
export const BYBIT_MAX_ARGS = 10

export const bybitTradeTopic = (symbol: string): string => `publicTrade.${symbol}`
export const bybitBookTopic = (symbol: string): string => `orderbook.${BYBIT_BOOK_DEPTH}.${symbol}`

/** A request on the socket: subscribe/unsubscribe (args = topics) or the application-level ping. */
export interface BybitRequest {
  req_id: string
  op: 'subscribe' | 'unsubscribe' | 'ping'
  args?: string[]
}

/** `topics` as requests of at most 10 args each, every one with its own req_id (answers echo it). */
export function bybitRequests(
  op: 'subscribe' | 'unsubscribe',
  topics: string[],
  nextReqId: () => string
): BybitRequest[] {
  const requests: BybitRequest[] = []
  for (let i = 0; i < topics.length; i += BYBIT_MAX_ARGS)
    requests.push({ req_id: nextReqId(), op, args: topics.slice(i, i + BYBIT_MAX_ARGS) })
  return requests
}

/** The topics of a symbol list, trade and book per symbol, in that order. */
export function bybitTopics(symbols: string[]): string[] {
  return symbols.flatMap((symbol) => [bybitTradeTopic(symbol), bybitBookTopic(symbol)])
}

/** What a parsed frame is. */
export type BybitFrame =
  | { kind: 'pong' }
  | { kind: 'response'; op: string; success: boolean; message: string; reqId: string | null }
  | { kind: 'trade'; symbol: string; frame: Record<string, unknown> }
  | { kind: 'book'; symbol: string; depth: number; frame: Record<string, unknown> }
  | { kind: 'unknown'; reason: string }

/** Classifies a frame (parsed with number literals kept as text); never throws. */
export function classifyBybitFrame(value: unknown): BybitFrame {
  const frame = object(value)
  if (!frame) return { kind: 'unknown', reason: 'frame is not a JSON object' }
  if (typeof frame.topic === 'string') {
    const topic = /^(?:publicTrade\.([A-Z0-9]{2,32})|orderbook\.(\d{1,4})\.([A-Z0-9]{2,32}))$/.exec(
      frame.topic
    )
    if (!topic) return { kind: 'unknown', reason: `unknown topic ${JSON.stringify(frame.topic)}` }
    if (topic[1] !== undefined) return { kind: 'trade', symbol: topic[1], frame }
    return { kind: 'book', symbol: topic[3] as string, depth: Number(topic[2]), frame }
  }
  if (typeof frame.op === 'string') {
    // Spot answers a ping with op "ping" and ret_msg "pong"; other Bybit sockets use op "pong".
    if ((frame.op === 'ping' || frame.op === 'pong') && frame.success !== false) return { kind: 'pong' }
    if (typeof frame.success !== 'boolean')
      return { kind: 'unknown', reason: `answer to ${JSON.stringify(frame.op)} has no boolean success` }
    return {
      kind: 'response',
      op: frame.op,
      success: frame.success,
      message: typeof frame.ret_msg === 'string' ? frame.ret_msg : '',
      reqId: typeof frame.req_id === 'string' ? frame.req_id : null
    }
  }
  return { kind: 'unknown', reason: 'neither a topic message nor an answer to a request' }
}

/** One element of a `publicTrade` message's `data` -> a canonical trade. */
export function mapBybitTrade(symbol: string, data: unknown, recvTs: number): Mapped<TradeMessage> {
  const raw = object(data)
  if (!raw) return { ok: false, reason: 'trade is not an object' }
  if (raw.s !== symbol)
    return { ok: false, reason: `trade symbol ${JSON.stringify(raw.s)} is not the topic's ${symbol}` }
  const id = raw.i
  if (typeof id !== 'string' || id.length === 0 || id.length > 128)
    return { ok: false, reason: `trade id ${JSON.stringify(id)} is not a string of 1-128 characters` }
  const price = decimal(raw.p)
  if (price === null) return { ok: false, reason: `trade price ${JSON.stringify(raw.p)} is not a decimal` }
  const amount = decimal(raw.v)
  if (amount === null) return { ok: false, reason: `trade size ${JSON.stringify(raw.v)} is not a decimal` }
  const ts = integer(raw.T)
  if (ts === null) return { ok: false, reason: `trade time ${JSON.stringify(raw.T)} is not epoch ms` }
  // S is the taker's side ("Side of taker" in the v5 docs).
  const side = raw.S === 'Buy' ? 'buy' : raw.S === 'Sell' ? 'sell' : null
  if (side === null) return { ok: false, reason: `trade side ${JSON.stringify(raw.S)} is not Buy or Sell` }
  return {
    ok: true,
    value: { v: 1, type: 'trade', exchange: BYBIT, symbol, id, price, amount, side, ts, recv_ts: recvTs }
  }
}

/**
 * A `publicTrade` message -> its trades, oldest first as sent. A trade that does not map is left out and
 * its reason returned, so one bad element does not cost the others (a message may hold 1024 trades).
 */
export function mapBybitTrades(
  symbol: string,
  frame: Record<string, unknown>,
  recvTs: number
): { trades: TradeMessage[]; errors: string[] } {
  if (!Array.isArray(frame.data)) return { trades: [], errors: ['trade message data is not an array'] }
  const trades: TradeMessage[] = []
  const errors: string[] = []
  for (const [i, element] of (frame.data as unknown[]).entries()) {
    const mapped = mapBybitTrade(symbol, element, recvTs)
    if (mapped.ok) trades.push(mapped.value)
    else errors.push(`trade ${i}: ${mapped.reason}`)
  }
  return { trades, errors }
}

/** An `orderbook.<depth>.<symbol>` message, parsed. */
export interface BybitBookMessage {
  symbol: string
  type: 'snapshot' | 'delta'
  /** Update id: contiguous per topic (a delta's u = the previous message's u + 1); 1 after a service restart. */
  updateId: number
  /** When Bybit generated the data (epoch ms). */
  ts: number
  /** Absolute sizes; "0" deletes the level. */
  bids: PriceLevel[]
  asks: PriceLevel[]
}

function levels(value: unknown, what: string): Mapped<PriceLevel[]> {
  if (value === undefined) return { ok: true, value: [] } // a delta may leave a side out
  if (!Array.isArray(value)) return { ok: false, reason: `${what} is not an array` }
  const out: PriceLevel[] = []
  for (const level of value as unknown[]) {
    const pair = Array.isArray(level) && level.length === 2 ? level : null
    const price = pair ? decimal(pair[0]) : null
    const size = pair ? decimal(pair[1]) : null
    if (price === null || size === null)
      return {
        ok: false,
        reason: `${what} level ${JSON.stringify(level)} is not [price, size] decimal strings`
      }
    out.push([price, size])
  }
  return { ok: true, value: out }
}

export function parseBybitBook(symbol: string, frame: Record<string, unknown>): Mapped<BybitBookMessage> {
  const type = frame.type
  if (type !== 'snapshot' && type !== 'delta')
    return { ok: false, reason: `book type ${JSON.stringify(type)} is not snapshot or delta` }
  const ts = integer(frame.ts)
  if (ts === null) return { ok: false, reason: `book ts ${JSON.stringify(frame.ts)} is not epoch ms` }
  const data = object(frame.data)
  if (!data) return { ok: false, reason: 'book data is not an object' }
  if (compactSymbol(data.s) !== symbol)
    return { ok: false, reason: `book symbol ${JSON.stringify(data.s)} is not the topic's ${symbol}` }
  const updateId = integer(data.u)
  if (updateId === null || updateId < 1)
    return { ok: false, reason: `book update id ${JSON.stringify(data.u)} is not a positive integer` }
  const bids = levels(data.b, 'bid')
  if (!bids.ok) return bids
  const asks = levels(data.a, 'ask')
  if (!asks.ok) return asks
  return { ok: true, value: { symbol, type, updateId, ts, bids: bids.value, asks: asks.value } }
}
