import { parse as parseLossless } from 'lossless-json'
import { COINBASE, coinbaseTradeId, mapCoinbaseRestTrade } from '../../core/mappers/coinbase.ts'
import type { TradeMessage } from '../../core/messages.ts'
import { RateLimited, retryAfterMs, type TradeHistory } from '../trade-history.ts'

const REQUEST_TIMEOUT_MS = 10_000
/** The Exchange API allows up to 1000 trades per page (its default). */
const MAX_LIMIT = 1_000
/**
 * Coinbase documents no Retry-After on its 429 (public endpoints: 10 requests/s per IP, bursts of 15, a
 * token bucket), so without the header one second is waited: the bucket refills within it.
 */
const RATE_LIMIT_FALLBACK_MS = 1_000

/**
 * Coinbase trade history over the Exchange REST API, `GET /products/{id}/trades?limit=&after=` (public, ids
 * sequential per product). Cursor semantics (docs: Exchange REST pagination): `after` asks for the page of
 * OLDER trades than the cursor, newest first, not including the cursor (`after=5&limit=2` -> trades 4 and 3).
 * So the trades following id A are asked for with `after = A + limit + 1` (ids A+1 .. A+limit), then
 * filtered to (A, cursor) and sorted oldest first. ⚠ Assumes the Exchange API's trade ids (and times) are the
 * Advanced Trade socket's: see docs/exchanges/coinbase.md.
 */
export function coinbaseTradeHistory(options: { restUrl: string; tradeHistoryLimit?: number }): TradeHistory {
  const limit = Math.min(Math.max(options.tradeHistoryLimit ?? MAX_LIMIT, 1), MAX_LIMIT)
  return {
    idRange(trade) {
      if (trade.exchange !== COINBASE) return null
      const id = coinbaseTradeId(trade.id)
      return id === null ? null : { first: BigInt(id), last: BigInt(id) }
    },
    async page(symbol, after, signal) {
      const cursor = after.id + BigInt(limit) + 1n
      const url = `${options.restUrl}/products/${encodeURIComponent(symbol)}/trades?limit=${limit}&after=${cursor}`
      const response = await fetch(url, {
        signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
        headers: { accept: 'application/json' }
      })
      const text = await response.text()
      if (response.status === 429)
        throw new RateLimited(retryAfterMs(response.headers, RATE_LIMIT_FALLBACK_MS))
      if (!response.ok)
        throw new Error(`coinbase trade history ${symbol}: HTTP ${response.status} ${text.slice(0, 200)}`)
      const body: unknown = parseLossless(text, null, (literal: string) => literal)
      if (!Array.isArray(body)) throw new Error(`coinbase trade history ${symbol}: the body is not an array`)
      const recvTs = Date.now()
      const trades: TradeMessage[] = []
      for (const item of body as unknown[]) {
        const mapped = mapCoinbaseRestTrade(symbol, item, recvTs)
        if (!mapped.ok) throw new Error(`coinbase trade history ${symbol}: ${mapped.reason}`)
        const id = BigInt(mapped.value.id)
        if (id > after.id && id < cursor) trades.push(mapped.value)
      }
      return trades.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1))
    }
  }
}
