import type { PriceLevel, TradeMessage } from '../messages.ts'
import type { BookSnapshot, DepthUpdate } from '../order-book.ts'
import type { Mapped } from './wallex.ts'
import { compactSymbol, decimal, integer, object } from './fields.ts'

/**
 * Binance spot frames -> canonical messages (pure). Combined streams wrap each event as
 * `{"stream":"btcusdt@trade","data":{...}}` (stream names lowercase; `s` in the event is uppercase).
 * Frames are parsed with number literals kept as text, so integer fields may arrive as strings or numbers.
 */
export const BINANCE = 'binance'

export type BinanceStream = 'trade' | 'depth'

/** The (stream, data) of a combined-stream frame; null for anything else (e.g. `{"result":null,"id":1}`). */
export function unwrapBinanceFrame(frame: unknown): { stream: string; data: unknown } | null {
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) return null
  const { stream, data } = frame as { stream?: unknown; data?: unknown }
  return typeof stream === 'string' && data !== undefined ? { stream, data } : null
}

/** `btcusdt@trade` / `btcusdt@depth` / `btcusdt@depth@100ms` -> lowercase symbol and kind. */
export function parseBinanceStream(stream: string): { symbol: string; kind: BinanceStream } | null {
  const match = /^([a-z0-9]{2,32})@(trade|depth)(?:@(?:100|1000)ms)?$/.exec(stream)
  if (!match || (match[2] === 'trade' && stream.split('@').length > 2)) return null
  return { symbol: match[1] as string, kind: match[2] as BinanceStream }
}

/** The combined-stream names for symbols: `<symbol>@trade` and `<symbol>@depth@100ms`, lowercase. */
export function binanceStreams(symbols: string[]): string[] {
  return symbols.flatMap((s) => [`${s.toLowerCase()}@trade`, `${s.toLowerCase()}@depth@100ms`])
}

/**
 * One trade of the REST trade history (`GET /api/v3/historicalTrades`):
 * `{"id":28457,"price":"4.00000100","qty":"12.00000000","quoteQty":"48.000012","time":1499865549590,
 * "isBuyerMaker":true,"isBestMatch":true}` -> the same canonical trade the stream's event gives.
 */
export function mapBinanceHistoricalTrade(
  symbol: string,
  data: unknown,
  recvTs: number
): Mapped<TradeMessage> {
  const raw = object(data)
  if (!raw) return { ok: false, reason: 'historical trade is not an object' }
  return mapBinanceTrade(
    { e: 'trade', s: symbol, t: raw.id, p: raw.price, q: raw.qty, T: raw.time, m: raw.isBuyerMaker },
    recvTs
  )
}

export function mapBinanceTrade(data: unknown, recvTs: number): Mapped<TradeMessage> {
  const raw = object(data)
  if (!raw) return { ok: false, reason: 'trade payload is not an object' }
  if (raw.e !== 'trade') return { ok: false, reason: `event type ${JSON.stringify(raw.e)} is not "trade"` }
  const symbol = compactSymbol(raw.s)
  if (symbol === null) return { ok: false, reason: `trade symbol ${JSON.stringify(raw.s)} is not a symbol` }
  const id = integer(raw.t)
  if (id === null) return { ok: false, reason: `trade id ${JSON.stringify(raw.t)} is not an integer` }
  const price = decimal(raw.p)
  if (price === null) return { ok: false, reason: `trade price ${JSON.stringify(raw.p)} is not a decimal` }
  const amount = decimal(raw.q)
  if (amount === null)
    return { ok: false, reason: `trade quantity ${JSON.stringify(raw.q)} is not a decimal` }
  const ts = integer(raw.T)
  if (ts === null) return { ok: false, reason: `trade time ${JSON.stringify(raw.T)} is not epoch ms` }
  if (typeof raw.m !== 'boolean') return { ok: false, reason: 'trade has no boolean m (buyer is maker)' }
  // m: the buyer was the maker, so the taker (the aggressor) sold.
  const side = raw.m ? 'sell' : 'buy'
  return {
    ok: true,
    value: {
      v: 1,
      type: 'trade',
      exchange: BINANCE,
      symbol,
      id: String(id),
      price,
      amount,
      side,
      ts,
      recv_ts: recvTs
    }
  }
}

function levels(value: unknown, what: string): Mapped<PriceLevel[]> {
  if (!Array.isArray(value)) return { ok: false, reason: `${what} is not an array` }
  const out: PriceLevel[] = []
  for (const level of value as unknown[]) {
    const pair = Array.isArray(level) && level.length >= 2 ? level : null
    const price = pair ? decimal(pair[0]) : null
    const quantity = pair ? decimal(pair[1]) : null
    if (price === null || quantity === null)
      return { ok: false, reason: `${what} level ${JSON.stringify(level)} is not two decimals` }
    out.push([price, quantity])
  }
  return { ok: true, value: out }
}

export function parseBinanceDepthUpdate(data: unknown): Mapped<DepthUpdate> {
  const raw = object(data)
  if (!raw) return { ok: false, reason: 'depth payload is not an object' }
  if (raw.e !== 'depthUpdate')
    return { ok: false, reason: `event type ${JSON.stringify(raw.e)} is not "depthUpdate"` }
  const symbol = compactSymbol(raw.s)
  if (symbol === null) return { ok: false, reason: `depth symbol ${JSON.stringify(raw.s)} is not a symbol` }
  const eventTs = integer(raw.E)
  if (eventTs === null)
    return { ok: false, reason: `depth event time ${JSON.stringify(raw.E)} is not epoch ms` }
  const firstId = integer(raw.U)
  const finalId = integer(raw.u)
  if (firstId === null || finalId === null || firstId > finalId)
    return {
      ok: false,
      reason: `depth update ids U=${JSON.stringify(raw.U)} u=${JSON.stringify(raw.u)} are invalid`
    }
  const bids = levels(raw.b, 'bid')
  if (!bids.ok) return bids
  const asks = levels(raw.a, 'ask')
  if (!asks.ok) return asks
  return { ok: true, value: { symbol, eventTs, firstId, finalId, bids: bids.value, asks: asks.value } }
}

/** The REST `/api/v3/depth` body: `{"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[...]}`. */
export function parseBinanceSnapshot(data: unknown): Mapped<BookSnapshot> {
  const raw = object(data)
  if (!raw) return { ok: false, reason: 'depth snapshot is not an object' }
  const lastUpdateId = integer(raw.lastUpdateId)
  if (lastUpdateId === null)
    return {
      ok: false,
      reason: `snapshot lastUpdateId ${JSON.stringify(raw.lastUpdateId)} is not an integer`
    }
  const bids = levels(raw.bids, 'snapshot bid')
  if (!bids.ok) return bids
  const asks = levels(raw.asks, 'snapshot ask')
  if (!asks.ok) return asks
  return { ok: true, value: { lastUpdateId, bids: bids.value, asks: asks.value } }
}
