import type { IncomingMessage, ServerResponse } from 'node:http'
import { FailNext, clampedLimit, replyJson, requestUrl, retryAfterHeader } from '../kit/http.ts'
import type { SymbolBook } from './levels.ts'
import type { OkxMarket } from './market.ts'
import type { OkxRestRequest } from './types.ts'

export const BOOKS = '/api/v5/market/books'
export const HISTORY = '/api/v5/market/history-trades'

/** `GET /api/v5/market/books` data: `sz` levels a side (1..400, default 1), with the book's seqId. */
export function restBook(book: SymbolBook, sz: number): unknown[] {
  const { seqId, ts, bids, asks } = book.rest
  return [{ asks: asks.slice(0, sz), bids: bids.slice(0, sz), ts: String(ts), seqId }]
}

/**
 * `GET /api/v5/market/history-trades` data: fills newest first; `after` = older than (tradeId, or ts with
 * type=2), `before` = newer than (tradeId; alone it returns the newest), `limit` 1..100 (default 100).
 */
export function historyData(book: SymbolBook, params: URLSearchParams): unknown[] {
  const limit = clampedLimit(params.get('limit'), 100, 100)
  const byTime = params.get('type') === '2'
  const after = params.get('after')
  const before = params.get('before')
  let fills = book.fills
  if (after !== null && /^\d+$/.test(after))
    fills = fills.filter((fill) => (byTime ? fill.ts < Number(after) : fill.id < BigInt(after)))
  if (before !== null && /^\d+$/.test(before) && !byTime)
    fills = fills.filter((fill) => fill.id > BigInt(before))
  return fills
    .slice(-limit)
    .reverse()
    .map((fill) => ({
      instId: book.symbol,
      side: fill.side,
      sz: fill.size,
      px: fill.price,
      source: '0',
      tradeId: String(fill.id),
      ts: String(fill.ts)
    }))
}

/** The REST API: books (answered after `bookDelayMs`, taken at request time) and history-trades. */
export function okxRest(
  market: OkxMarket,
  limits: Map<string, FailNext<{ retryAfterS: number | undefined }>>,
  restLog: OkxRestRequest[],
  bookDelayMs: number
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const url = requestUrl(request)
    const log = { path: url.pathname, query: url.search, at: Date.now(), status: 200 }
    restLog.push(log)
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      log.status = status
      replyJson(response, status, body, headers)
    }
    const limited = limits.get(url.pathname)?.take()
    if (limited)
      return reply(
        429,
        { code: '50011', msg: 'Too Many Requests', data: [] },
        retryAfterHeader(limited.retryAfterS)
      )
    if (url.pathname !== BOOKS && url.pathname !== HISTORY)
      return reply(404, { code: '404', msg: 'Not Found', data: [] })
    const instId = url.searchParams.get('instId') ?? ''
    if (!market.has(instId))
      return reply(200, { code: '51001', msg: "Instrument ID doesn't exist", data: [] })
    const book = market.named(instId)
    if (url.pathname === HISTORY)
      return reply(200, { code: '0', msg: '', data: historyData(book, url.searchParams) })
    const sz = clampedLimit(url.searchParams.get('sz'), 1, 400)
    const data = restBook(book, sz) // taken now, answered after the delay
    setTimeout(() => reply(200, { code: '0', msg: '', data }), bookDelayMs)
  }
}
