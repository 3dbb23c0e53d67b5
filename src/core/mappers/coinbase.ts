import type { PriceLevel, TradeMessage, TradeSide } from '../messages.ts'
import type { Mapped } from './wallex.ts'
import { decimal, integer, object } from './fields.ts'

/**
 * Coinbase Advanced Trade market-data frames -> canonical messages (pure). Every data frame is an envelope
 * `{"channel":..,"client_id":"","timestamp":"<RFC3339 ns>","sequence_num":<int>,"events":[..]}`; level2 data
 * arrives on channel `l2_data`. Prices and sizes are strings. Facts and sources: docs/exchanges/coinbase.md.
 * Frames are parsed with number literals kept as text, so integers may arrive as strings or numbers.
 */
export const COINBASE = 'coinbase'

/** The channels the feed subscribes to (one per subscribe message), in the order it sends them. */
export const COINBASE_CHANNELS = ['heartbeats', 'market_trades', 'level2'] as const
export type CoinbaseChannel = (typeof COINBASE_CHANNELS)[number]

/** A subscribe/unsubscribe request: one channel per message; heartbeats need no products. */
export function coinbaseRequest(
  type: 'subscribe' | 'unsubscribe',
  channel: CoinbaseChannel,
  productIds: string[]
): Record<string, unknown> {
  return channel === 'heartbeats' ? { type, channel } : { type, product_ids: productIds, channel }
}

export interface CoinbaseEnvelope {
  channel: string
  /** Per connection, +1 for every message the server sends (⚠ inferred; see the docs page). */
  sequenceNum: number
  /** The envelope's `timestamp`, epoch ms (truncated). */
  ts: number
  events: unknown[]
}

export interface CoinbaseBookEvent {
  kind: 'snapshot' | 'update'
  symbol: string
  /** Absolute quantities; "0" deletes the level. `offer` is the ask side. */
  bids: PriceLevel[]
  asks: PriceLevel[]
  /** The latest `event_time` of the updates, epoch ms; null when none is set (snapshots carry 1970-01-01). */
  eventTs: number | null
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/

/** RFC 3339 with 0-9 fractional digits ("2023-02-09T20:32:50.714964855Z") -> epoch ms, truncated; null if not. */
export function rfc3339Ms(text: unknown): number | null {
  if (typeof text !== 'string') return null
  const match = RFC3339.exec(text)
  if (!match) return null
  const [, y, mo, d, h, mi, s, fraction = '', zone = 'Z'] = match
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3))
  let epoch = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms)
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1
    epoch -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000
  }
  // Date.UTC rolls 2023-02-30 over to March: refuse what does not round-trip.
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)))
  if (check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) return null
  return Number.isFinite(epoch) ? epoch : null
}

/** Product ids as Coinbase spells them: BTC-USD, BIT-28JUN24-CDE. */
function productOf(value: unknown): string | null {
  return typeof value === 'string' && /^[A-Z0-9]+(?:-[A-Z0-9]+)+$/.test(value) && value.length <= 64
    ? value
    : null
}

/**
 * A trade id as canonical decimal text: "000123" and 123 (the Exchange REST API sends a JSON number) are both
 * "123", so a trade seen on the socket and fetched over REST gets one id. null when not a non-negative integer.
 */
export function coinbaseTradeId(value: unknown): string | null {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value
  if (typeof text !== 'string' || !/^\d{1,30}$/.test(text)) return null
  return BigInt(text).toString()
}

/** `side` is the maker's side on both the socket (BUY/SELL) and the Exchange REST API (buy/sell): flip it. */
function takerSide(makerSide: unknown): TradeSide | null {
  if (typeof makerSide !== 'string') return null
  const side = makerSide.toUpperCase()
  return side === 'BUY' ? 'sell' : side === 'SELL' ? 'buy' : 'unknown'
}

/** `{"type":"error","message":..}` -> its message (and reason, if any); null for anything else. */
export function coinbaseError(frame: unknown): string | null {
  const raw = object(frame)
  if (!raw || raw.type !== 'error') return null
  const message = typeof raw.message === 'string' ? raw.message : JSON.stringify(raw.message ?? null)
  return typeof raw.reason === 'string' && raw.reason ? `${message}: ${raw.reason}` : message
}

export function parseCoinbaseEnvelope(frame: unknown): Mapped<CoinbaseEnvelope> {
  const raw = object(frame)
  if (!raw) return { ok: false, reason: 'frame is not an object' }
  if (typeof raw.channel !== 'string' || raw.channel === '')
    return { ok: false, reason: `channel ${JSON.stringify(raw.channel)} is not a channel name` }
  const sequenceNum = integer(raw.sequence_num)
  if (sequenceNum === null)
    return { ok: false, reason: `sequence_num ${JSON.stringify(raw.sequence_num)} is not an integer` }
  const ts = rfc3339Ms(raw.timestamp)
  if (ts === null) return { ok: false, reason: `timestamp ${JSON.stringify(raw.timestamp)} is not RFC 3339` }
  if (!Array.isArray(raw.events)) return { ok: false, reason: 'events is not an array' }
  return { ok: true, value: { channel: raw.channel, sequenceNum, ts, events: raw.events as unknown[] } }
}

/** One trade of a `market_trades` event. */
export function mapCoinbaseTrade(data: unknown, recvTs: number): Mapped<TradeMessage> {
  const raw = object(data)
  if (!raw) return { ok: false, reason: 'trade is not an object' }
  const symbol = productOf(raw.product_id)
  if (symbol === null)
    return { ok: false, reason: `trade product_id ${JSON.stringify(raw.product_id)} is not a product` }
  return tradeMessage(symbol, raw, recvTs)
}

/** The canonical trade of a Coinbase trade object (socket or Exchange REST: same field names). */
function tradeMessage(symbol: string, raw: Record<string, unknown>, recvTs: number): Mapped<TradeMessage> {
  const id = coinbaseTradeId(raw.trade_id)
  if (id === null) return { ok: false, reason: `trade_id ${JSON.stringify(raw.trade_id)} is not an integer` }
  const price = decimal(raw.price)
  if (price === null)
    return { ok: false, reason: `trade price ${JSON.stringify(raw.price)} is not a decimal` }
  const amount = decimal(raw.size)
  if (amount === null) return { ok: false, reason: `trade size ${JSON.stringify(raw.size)} is not a decimal` }
  const ts = rfc3339Ms(raw.time)
  if (ts === null) return { ok: false, reason: `trade time ${JSON.stringify(raw.time)} is not RFC 3339` }
  const side = takerSide(raw.side)
  if (side === null) return { ok: false, reason: `trade side ${JSON.stringify(raw.side)} is not a string` }
  return {
    ok: true,
    value: { v: 1, type: 'trade', exchange: COINBASE, symbol, id, price, amount, side, ts, recv_ts: recvTs }
  }
}

/**
 * A `market_trades` event (`snapshot` or `update`) -> its trades, oldest first (by id): a batch may list them
 * newest first, and gap detection reads ids in order. The first malformed trade refuses the event.
 */
export function mapCoinbaseTradesEvent(event: unknown, recvTs: number): Mapped<TradeMessage[]> {
  const raw = object(event)
  if (!raw) return { ok: false, reason: 'market_trades event is not an object' }
  if (raw.type !== 'snapshot' && raw.type !== 'update')
    return { ok: false, reason: `market_trades event type ${JSON.stringify(raw.type)} is unknown` }
  if (!Array.isArray(raw.trades)) return { ok: false, reason: 'market_trades event has no trades array' }
  const trades: TradeMessage[] = []
  for (const trade of raw.trades as unknown[]) {
    const mapped = mapCoinbaseTrade(trade, recvTs)
    if (!mapped.ok) return mapped
    trades.push(mapped.value)
  }
  trades.sort((a, b) => compareIds(a.id, b.id))
  return { ok: true, value: trades }
}

/** Canonical integer ids (no leading zeros) in numeric order. */
function compareIds(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0
}

/** An `l2_data` event: `{"type":"snapshot"|"update","product_id":..,"updates":[{side,event_time,price_level,new_quantity}]}`. */
export function parseCoinbaseBookEvent(event: unknown): Mapped<CoinbaseBookEvent> {
  const raw = object(event)
  if (!raw) return { ok: false, reason: 'l2_data event is not an object' }
  if (raw.type !== 'snapshot' && raw.type !== 'update')
    return { ok: false, reason: `l2_data event type ${JSON.stringify(raw.type)} is unknown` }
  const symbol = productOf(raw.product_id)
  if (symbol === null)
    return { ok: false, reason: `l2_data product_id ${JSON.stringify(raw.product_id)} is not a product` }
  if (!Array.isArray(raw.updates)) return { ok: false, reason: 'l2_data event has no updates array' }
  const bids: PriceLevel[] = []
  const asks: PriceLevel[] = []
  let eventTs: number | null = null
  for (const item of raw.updates as unknown[]) {
    const update = object(item)
    const price = update ? decimal(update.price_level) : null
    const quantity = update ? decimal(update.new_quantity) : null
    if (!update || price === null || quantity === null)
      return { ok: false, reason: `l2_data update ${JSON.stringify(item)} has no decimal price and quantity` }
    // `offer` is documented; `ask` accepted too (a conservative parser).
    if (update.side === 'bid') bids.push([price, quantity])
    else if (update.side === 'offer' || update.side === 'ask') asks.push([price, quantity])
    else
      return { ok: false, reason: `l2_data update side ${JSON.stringify(update.side)} is not bid or offer` }
    const at = update.event_time === undefined ? null : rfc3339Ms(update.event_time)
    if (at !== null && at > 0 && (eventTs === null || at > eventTs)) eventTs = at
  }
  return { ok: true, value: { kind: raw.type, symbol, bids, asks, eventTs } }
}

/** A `heartbeats` event -> its `heartbeat_counter` (a string in the docs' example, a number in the wild). */
export function parseCoinbaseHeartbeat(event: unknown): Mapped<number> {
  const raw = object(event)
  const counter = raw ? integer(raw.heartbeat_counter) : null
  if (counter === null)
    return {
      ok: false,
      reason: `heartbeat_counter ${JSON.stringify(raw?.heartbeat_counter)} is not an integer`
    }
  return { ok: true, value: counter }
}

/**
 * One trade of the Exchange REST API (`GET /products/{id}/trades`): `{"time":..,"trade_id":86327327,
 * "price":"6225.32000000","size":"0.06469797","side":"sell"}`; `side` is the maker's side there too.
 */
export function mapCoinbaseRestTrade(symbol: string, data: unknown, recvTs: number): Mapped<TradeMessage> {
  const raw = object(data)
  if (!raw) return { ok: false, reason: 'REST trade is not an object' }
  return tradeMessage(symbol, raw, recvTs)
}
