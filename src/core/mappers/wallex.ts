import { toDecimalText } from '../decimal-text.ts'
import type { PriceLevel, TradeMessage } from '../messages.ts'
import type { DerivedTradeIds } from './trade-ids.ts'

/**
 * Wallex frames -> canonical messages (pure). Both socket generations carry the same payloads:
 * v1 `["BTCUSDT@trade", {...}]`, v2 (Centrifugo) `{"push":{"channel":"public:BTCUSDT@trade","pub":{"data":{...}}}}`.
 * Depth levels carry prices as JSON numbers: frames must be parsed with the literal digits kept (strings).
 */
export const WALLEX = 'wallex'

export interface WallexRawTrade {
  isBuyOrder: boolean
  quantity: string
  price: string
  timestamp: string
}

export interface WallexRawLevel {
  price: string
  quantity: string
}

export type WallexStream = 'trade' | 'buyDepth' | 'sellDepth'
export type Mapped<T> = { ok: true; value: T } | { ok: false; reason: string }

/** A channel label -> symbol and stream; tolerates v2 prefixes and a stray U+064E seen in doc copies. */
export function parseWallexChannel(channel: string): { symbol: string; stream: WallexStream } | null {
  const label = channel.replace(/^(public|orderbook):/, '').replaceAll('\u064e', '')
  const match = /^([A-Z0-9]{2,32})@(trade|buyDepth|sellDepth)$/.exec(label)
  return match ? { symbol: match[1] as string, stream: match[2] as WallexStream } : null
}

/** The (channel, data) of a v1 or v2 frame; 'ping' for a v2 `{}` ping; null for anything else (acks, status). */
export function unwrapWallexFrame(frame: unknown): { channel: string; data: unknown } | 'ping' | null {
  if (Array.isArray(frame)) {
    return frame.length === 2 && typeof frame[0] === 'string' ? { channel: frame[0], data: frame[1] } : null
  }
  if (typeof frame !== 'object' || frame === null) return null
  if (Object.keys(frame).length === 0) return 'ping'
  const push = (frame as { push?: { channel?: unknown; pub?: { data?: unknown } } }).push
  if (push && typeof push.channel === 'string' && push.pub)
    return { channel: push.channel, data: push.pub.data }
  return null
}

export function mapWallexTrade(
  symbol: string,
  data: unknown,
  recvTs: number,
  ids: DerivedTradeIds
): Mapped<TradeMessage> {
  const raw = data as Partial<WallexRawTrade> | null
  if (typeof raw !== 'object' || raw === null) return { ok: false, reason: 'trade payload is not an object' }
  if (typeof raw.isBuyOrder !== 'boolean') return { ok: false, reason: 'trade has no boolean isBuyOrder' }
  const price = typeof raw.price === 'string' ? toDecimalText(raw.price) : null
  const amount = typeof raw.quantity === 'string' ? toDecimalText(raw.quantity) : null
  if (price === null)
    return { ok: false, reason: `trade price ${JSON.stringify(raw.price)} is not a decimal` }
  if (amount === null)
    return { ok: false, reason: `trade quantity ${JSON.stringify(raw.quantity)} is not a decimal` }
  const ts = typeof raw.timestamp === 'string' ? Date.parse(raw.timestamp) : Number.NaN
  if (!Number.isFinite(ts))
    return { ok: false, reason: `trade timestamp ${JSON.stringify(raw.timestamp)} is not ISO-8601` }
  const side = raw.isBuyOrder ? 'buy' : 'sell'
  const id = ids.next({ exchange: WALLEX, symbol, ts, price, amount, side })
  return {
    ok: true,
    value: { v: 1, type: 'trade', exchange: WALLEX, symbol, id, price, amount, side, ts, recv_ts: recvTs }
  }
}

/** One side of the book (a full snapshot of that side); levels whose numbers are not decimals are refused. */
export function mapWallexDepthSide(data: unknown): Mapped<PriceLevel[]> {
  if (!Array.isArray(data)) return { ok: false, reason: 'depth payload is not an array' }
  const levels: PriceLevel[] = []
  for (const level of data as Partial<WallexRawLevel>[]) {
    const price = typeof level?.price === 'string' ? toDecimalText(level.price) : null
    const amount = typeof level?.quantity === 'string' ? toDecimalText(level.quantity) : null
    if (price === null || amount === null)
      return { ok: false, reason: `depth level ${JSON.stringify(level)} is not two decimals` }
    levels.push([price, amount])
  }
  return { ok: true, value: levels }
}
