import type { TradeMessage } from '../messages.ts'
import type { OkxBookFrame, OkxLevel, OkxRestBook } from '../books/okx.ts'
import type { Mapped } from './wallex.ts'
import { decimal, integer, object, text } from './fields.ts'

/**
 * OKX v5 public frames -> canonical messages (pure). Facts and sources: docs/exchanges/okx.md.
 * A push is `{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[...]}` (books add `"action"`); an event
 * is `{"event":"subscribe"|"unsubscribe"|"error"|"notice",...}`; the keep-alive answer is the text `pong`.
 * Frames are parsed with number literals kept as text (seqId, checksum are JSON numbers; prices are strings).
 */
export const OKX = 'okx'

export type OkxChannel = 'trades' | 'books'

/** A canonical OKX trade. `first_id` is present when the trade aggregates `count` > 1 fills (see idRange). */
export type OkxTradeMessage = TradeMessage & { first_id?: string }

export type OkxFrame =
  | { kind: 'event'; event: string; code: string | null; msg: string | null; arg: OkxArg | null }
  | { kind: 'push'; arg: OkxArg; action: string | null; data: unknown[] }

export interface OkxArg {
  channel: string
  instId: string
}

/** The subscribe (or unsubscribe) requests for symbols: `trades` and `books` per instrument, 50 args a request. */
export function okxRequests(op: 'subscribe' | 'unsubscribe', args: OkxArg[], firstId = 1): unknown[] {
  const requests: unknown[] = []
  for (let i = 0; i < args.length; i += 50)
    requests.push({ id: String(firstId + i / 50), op, args: args.slice(i, i + 50) })
  return requests
}

export function okxArgs(symbols: string[]): OkxArg[] {
  return symbols.flatMap((instId) => [
    { channel: 'trades', instId },
    { channel: 'books', instId }
  ])
}

function argOf(value: unknown): OkxArg | null {
  const raw = object(value)
  const channel = text(raw?.channel)
  const instId = text(raw?.instId)
  return channel !== null && instId !== null ? { channel, instId } : null
}

/** An event or a push; null for anything else. */
export function classifyOkxFrame(value: unknown): OkxFrame | null {
  const raw = object(value)
  if (!raw) return null
  if (typeof raw.event === 'string') {
    return {
      kind: 'event',
      event: raw.event,
      code: text(raw.code),
      msg: text(raw.msg),
      arg: argOf(raw.arg)
    }
  }
  const arg = argOf(raw.arg)
  if (!arg || !Array.isArray(raw.data)) return null
  return { kind: 'push', arg, action: text(raw.action), data: raw.data as unknown[] }
}

/** A trade id: decimal digits without leading zeros, up to 40 digits (kept as text; compared as bigint). */
function tradeId(value: unknown): string | null {
  return typeof value === 'string' && /^(0|[1-9]\d{0,39})$/.test(value) ? value : null
}

/**
 * One element of a `trades` push: `tradeId` is the LAST of `count` consecutive fill ids of one taker order at
 * one price, `sz` their total, `side` the taker's. The canonical id is OKX's `tradeId` (the exchange's id, the
 * one its other channels and REST use for that last fill); `first_id` = tradeId - count + 1 is added when
 * count > 1, so gap detection knows which ids the message covers (docs/exchanges/okx.md, "Trade ids").
 */
export function mapOkxTrade(data: unknown, recvTs: number): Mapped<OkxTradeMessage> {
  const raw = object(data)
  if (!raw) return { ok: false, reason: 'trade is not an object' }
  const symbol = text(raw.instId)
  if (symbol === null || !/^[A-Z0-9][A-Z0-9-]{0,63}$/.test(symbol))
    return { ok: false, reason: `trade instId ${JSON.stringify(raw.instId)} is not an instrument id` }
  const id = tradeId(raw.tradeId)
  if (id === null) return { ok: false, reason: `tradeId ${JSON.stringify(raw.tradeId)} is not an integer` }
  const price = decimal(raw.px)
  if (price === null) return { ok: false, reason: `trade px ${JSON.stringify(raw.px)} is not a decimal` }
  const amount = decimal(raw.sz)
  if (amount === null) return { ok: false, reason: `trade sz ${JSON.stringify(raw.sz)} is not a decimal` }
  const ts = integer(raw.ts)
  if (ts === null) return { ok: false, reason: `trade ts ${JSON.stringify(raw.ts)} is not epoch ms` }
  if (raw.side !== 'buy' && raw.side !== 'sell')
    return { ok: false, reason: `trade side ${JSON.stringify(raw.side)} is not buy or sell` }
  // count is absent from REST trades and trades-all (one fill each): 1.
  const count = raw.count === undefined ? 1 : integer(raw.count)
  if (count === null || count < 1 || BigInt(count) > BigInt(id) + 1n)
    return {
      ok: false,
      reason: `trade count ${JSON.stringify(raw.count)} is not a positive integer <= tradeId + 1`
    }
  const trade: OkxTradeMessage = {
    v: 1,
    type: 'trade',
    exchange: OKX,
    symbol,
    id,
    price,
    amount,
    side: raw.side,
    ts,
    recv_ts: recvTs
  }
  if (count > 1) trade.first_id = String(BigInt(id) - BigInt(count) + 1n)
  return { ok: true, value: trade }
}

/** The ids a canonical OKX trade covers: first_id..id (aggregated), or id alone. null: not an OKX id. */
export function okxTradeIdRange(trade: OkxTradeMessage): { first: bigint; last: bigint } | null {
  const last = tradeId(trade.id)
  if (last === null) return null
  const first = trade.first_id === undefined ? last : tradeId(trade.first_id)
  if (first === null || BigInt(first) > BigInt(last)) return null
  return { first: BigInt(first), last: BigInt(last) }
}

/** `[price, size, "0", orderCount]` levels; the price and size text as sent (the checksum needs it). */
function levels(value: unknown, what: string): Mapped<OkxLevel[]> {
  if (!Array.isArray(value)) return { ok: false, reason: `${what} is not an array` }
  const out: OkxLevel[] = []
  for (const level of value as unknown[]) {
    const [price, size] = Array.isArray(level) ? (level as unknown[]) : []
    if (typeof price !== 'string' || typeof size !== 'string' || !decimal(price) || !decimal(size))
      return { ok: false, reason: `${what} level ${JSON.stringify(level)} is not [price, size, ...] text` }
    out.push({ price, size })
  }
  return { ok: true, value: out }
}

/** One element of a `books` push (snapshot or update). `checksum` 0 or absent: not sent (production). */
export function parseOkxBook(data: unknown, action: string | null): Mapped<OkxBookFrame> {
  if (action !== 'snapshot' && action !== 'update')
    return { ok: false, reason: `books action ${JSON.stringify(action)} is not snapshot or update` }
  const raw = object(data)
  if (!raw) return { ok: false, reason: 'books data is not an object' }
  const bids = levels(raw.bids, 'bid')
  if (!bids.ok) return bids
  const asks = levels(raw.asks, 'ask')
  if (!asks.ok) return asks
  const ts = integer(raw.ts)
  if (ts === null) return { ok: false, reason: `books ts ${JSON.stringify(raw.ts)} is not epoch ms` }
  const seqId = integer(raw.seqId)
  const prevSeqId = integer(raw.prevSeqId, true)
  if (seqId === null || prevSeqId === null || prevSeqId < -1)
    return {
      ok: false,
      reason: `books seqId ${JSON.stringify(raw.seqId)} / prevSeqId ${JSON.stringify(raw.prevSeqId)} are invalid`
    }
  const checksum = raw.checksum === undefined ? 0 : integer(raw.checksum, true)
  if (checksum === null)
    return { ok: false, reason: `books checksum ${JSON.stringify(raw.checksum)} is not an integer` }
  return { ok: true, value: { action, bids: bids.value, asks: asks.value, ts, checksum, prevSeqId, seqId } }
}

/** The `code`/`msg` of a REST body: `{"code":"0","msg":"","data":[...]}`; code "0" is success. */
export function okxRestEnvelope(body: unknown): Mapped<unknown[]> & { code?: string } {
  const raw = object(body)
  if (!raw) return { ok: false, reason: 'REST body is not an object' }
  const code = text(raw.code) ?? (typeof raw.code === 'number' ? String(raw.code) : null)
  if (code !== '0')
    return { ok: false, reason: `OKX code ${code} ${String(raw.msg ?? '')}`, code: code ?? '' }
  if (!Array.isArray(raw.data)) return { ok: false, reason: 'REST body has no data array' }
  return { ok: true, value: raw.data as unknown[] }
}

/** `GET /api/v5/market/books?instId=&sz=400` -> its book; `seqId` aligns it with the `books` updates. */
export function parseOkxRestBook(body: unknown): Mapped<OkxRestBook> {
  const envelope = okxRestEnvelope(body)
  if (!envelope.ok) return envelope
  const raw = object(envelope.value[0])
  if (!raw) return { ok: false, reason: 'REST book data is empty' }
  const bids = levels(raw.bids, 'REST bid')
  if (!bids.ok) return bids
  const asks = levels(raw.asks, 'REST ask')
  if (!asks.ok) return asks
  const ts = integer(raw.ts)
  if (ts === null) return { ok: false, reason: `REST book ts ${JSON.stringify(raw.ts)} is not epoch ms` }
  const seqId = integer(raw.seqId)
  if (seqId === null)
    return {
      ok: false,
      reason: `REST book seqId ${JSON.stringify(raw.seqId)} is missing: it cannot be aligned`
    }
  return { ok: true, value: { bids: bids.value, asks: asks.value, ts, seqId } }
}

/** `GET /api/v5/market/history-trades` -> canonical trades (one fill each), in the order sent (newest first). */
export function parseOkxHistoryTrades(
  body: unknown,
  recvTs: number
): Mapped<OkxTradeMessage[]> & { code?: string } {
  const envelope = okxRestEnvelope(body)
  if (!envelope.ok) return envelope
  const trades: OkxTradeMessage[] = []
  for (const item of envelope.value) {
    const mapped = mapOkxTrade(item, recvTs)
    if (!mapped.ok) return { ok: false, reason: `history trade: ${mapped.reason}` }
    trades.push(mapped.value)
  }
  return { ok: true, value: trades }
}
