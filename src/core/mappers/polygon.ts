import type { CandleMessage, MarketMessage, QuoteMessage, Timeframe, TradeMessage } from '../messages.ts'
import { decimal } from './fields.ts'

/**
 * Polygon / Massive events -> canonical messages (pure). Every frame is a JSON array of events; prices are
 * JSON numbers, so frames must be parsed with number literals kept as text (lossless-json), and every number
 * field arrives here as a string. Status events (connected, auth_success, ...) are not market data.
 */
export const POLYGON = 'polygon'

type Raw = Record<string, unknown>
export type PolygonEvent =
  | { kind: 'status'; status: string; message: string }
  | { kind: 'data'; message: MarketMessage }
  | { kind: 'rejected'; reason: string }

const int = (value: unknown): number | null => {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN
  return Number.isSafeInteger(n) ? n : null
}

function need(event: Raw, fields: string[]): string | null {
  const missing = fields.filter((f) => event[f] === undefined)
  return missing.length ? `${String(event.ev)} event without ${missing.join(', ')}` : null
}

export function mapPolygonEvent(event: unknown, recvTs: number): PolygonEvent {
  if (typeof event !== 'object' || event === null || Array.isArray(event))
    return { kind: 'rejected', reason: 'event is not an object' }
  const e = event as Raw
  switch (e.ev) {
    case 'status':
      return { kind: 'status', status: String(e.status), message: String(e.message ?? '') }
    case 'XT':
    case 'T':
      return trade(e, recvTs)
    case 'XQ':
    case 'C':
      return quote(e, recvTs)
    case 'XA':
    case 'CA':
    case 'AM':
      return candle(e, '1m', recvTs)
    case 'XAS':
    case 'CAS':
    case 'A':
      return candle(e, '1s', recvTs)
    default:
      return { kind: 'rejected', reason: `unknown event type ${JSON.stringify(e.ev)}` }
  }
}

function symbolOf(e: Raw): string | null {
  const symbol = e.pair ?? e.p ?? e.sym
  return typeof symbol === 'string' && symbol.length > 0 && symbol.length <= 64 ? symbol : null
}

function trade(e: Raw, recvTs: number): PolygonEvent {
  const missing = need(e, ['p', 's', 't', 'i'])
  if (missing) return { kind: 'rejected', reason: missing }
  const symbol = typeof (e.pair ?? e.sym) === 'string' ? String(e.pair ?? e.sym) : null
  const price = decimal(e.p)
  const amount = decimal(e.s)
  const ts = int(e.t)
  if (!symbol || price === null || amount === null || ts === null)
    return { kind: 'rejected', reason: `${String(e.ev)} event with a bad symbol, price, size or time` }
  const message: TradeMessage = {
    v: 1,
    type: 'trade',
    exchange: POLYGON,
    symbol,
    id: String(e.i),
    price,
    amount,
    side: 'unknown',
    ts,
    recv_ts: recvTs
  }
  return { kind: 'data', message }
}

function quote(e: Raw, recvTs: number): PolygonEvent {
  const forex = e.ev === 'C'
  const [bidKey, askKey] = forex ? ['b', 'a'] : ['bp', 'ap']
  const bid = decimal(e[bidKey])
  const ask = decimal(e[askKey])
  const ts = int(e.t)
  const symbol = forex ? (typeof e.p === 'string' ? e.p : null) : symbolOf(e)
  if (!symbol || bid === null || ask === null || ts === null)
    return { kind: 'rejected', reason: `${String(e.ev)} event with a bad pair, bid, ask or time` }
  // Forex quotes carry no sizes.
  const bidSize = forex ? '0' : decimal(e.bs)
  const askSize = forex ? '0' : decimal(e.as)
  if (bidSize === null || askSize === null)
    return { kind: 'rejected', reason: `${String(e.ev)} event with bad sizes` }
  const message: QuoteMessage = {
    v: 1,
    type: 'quote',
    exchange: POLYGON,
    symbol,
    bid,
    ask,
    bid_size: bidSize,
    ask_size: askSize,
    ts,
    recv_ts: recvTs
  }
  return { kind: 'data', message }
}

function candle(e: Raw, timeframe: Timeframe, recvTs: number): PolygonEvent {
  const symbol = symbolOf(e)
  const [open, high, low, close, volume] = [e.o, e.h, e.l, e.c, e.v].map(decimal)
  const ts = int(e.s)
  if (
    !symbol ||
    open == null ||
    high == null ||
    low == null ||
    close == null ||
    volume == null ||
    ts === null
  ) {
    return { kind: 'rejected', reason: `${String(e.ev)} event with a bad symbol, OHLCV or start time` }
  }
  const trades = int(e.z)
  const message: CandleMessage = {
    v: 1,
    type: 'candle',
    exchange: POLYGON,
    symbol,
    timeframe,
    ts,
    open,
    high,
    low,
    close,
    volume,
    ...(trades === null ? {} : { trades }),
    recv_ts: recvTs
  }
  return { kind: 'data', message }
}
