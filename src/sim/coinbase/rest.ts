import type { IncomingMessage, ServerResponse } from 'node:http'
import { FailNext, replyJson, requestUrl, retryAfterHeader } from '../kit/http.ts'
import type { CoinbaseMarket, HistoryTrade } from './market.ts'
import { restDecimal } from './spelling.ts'
import type { TradeHistoryRequest } from './types.ts'

/**
 * One page of the Exchange REST trade history, newest first: `after` = older than the cursor, `before` =
 * newer than it, neither = the newest; `limit` 1..1000 (default 1000). Null: an invalid limit or cursor.
 */
export function historyPage(history: HistoryTrade[], params: URLSearchParams): HistoryTrade[] | null {
  const limitText = params.get('limit') ?? '1000'
  const limit = /^\d{1,4}$/.test(limitText) ? Number(limitText) : Number.NaN
  const cursor = (name: string): bigint | null | undefined => {
    const value = params.get(name)
    return value === null ? null : /^\d{1,30}$/.test(value) ? BigInt(value) : undefined
  }
  const after = cursor('after')
  const before = cursor('before')
  if (!(limit >= 1 && limit <= 1000) || after === undefined || before === undefined) return null
  let page: HistoryTrade[]
  if (after !== null) {
    const older = history.filter((t) => t.id < after)
    page = older.slice(-limit) // the adjacent older page
  } else if (before !== null) {
    page = history.filter((t) => t.id > before).slice(0, limit) // the adjacent newer page (⚠ inferred)
  } else page = history.slice(-limit)
  return [...page].reverse() // newest first
}

/** `GET /products/{id}/trades`: the history page, `cb-before`/`cb-after` headers, 8-decimal text, maker side. */
export function coinbaseRest(
  market: CoinbaseMarket,
  failures: FailNext<{ retryAfterS?: number }>,
  historyLog: TradeHistoryRequest[]
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const url = requestUrl(request)
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      replyJson(response, status, body, { 'content-type': 'application/json; charset=utf-8', ...headers })
    const match = /^\/products\/([^/]+)\/trades$/.exec(url.pathname)
    if (request.method !== 'GET' || !match) return reply(404, { message: 'NotFound' })
    const symbol = decodeURIComponent(match[1] as string)
    const log = (status: number) => historyLog.push({ symbol, query: url.search, at: Date.now(), status })
    const product = market.products.get(symbol)
    if (!product) {
      log(404)
      return reply(404, { message: 'NotFound' })
    }
    const failure = failures.take()
    if (failure) {
      log(429)
      return reply(429, { message: 'Public rate limit exceeded' }, retryAfterHeader(failure.retryAfterS))
    }
    const page = historyPage(product.history, url.searchParams)
    if (!page) {
      log(400)
      return reply(400, { message: 'Invalid limit or cursor' })
    }
    const headers: Record<string, string> = {}
    if (page.length > 0) {
      headers['cb-before'] = String((page[0] as HistoryTrade).id)
      headers['cb-after'] = String((page[page.length - 1] as HistoryTrade).id)
    }
    log(200)
    reply(
      200,
      page.map((t) => ({
        time: t.time,
        trade_id: Number(t.id),
        price: restDecimal(t.priceTicks, product.priceScale),
        size: restDecimal(t.sizeTicks, product.amountScale),
        side: t.makerSide.toLowerCase()
      })),
      headers
    )
  }
}
