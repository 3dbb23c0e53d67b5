import { parse as parseLossless } from 'lossless-json'
import type { TradeMessage } from '../../core/messages.ts'
import { okxTradeIdRange, parseOkxHistoryTrades, type OkxTradeMessage } from '../../core/mappers/okx.ts'
import { RateLimited, retryAfterMs, type TradeHistory } from '../trade-history.ts'

export const OKX_HISTORY_PAGE = 100

/**
 * OKX's public trade history, `GET /api/v5/market/history-trades?instId=&type=1&after=&limit=100` (3 months,
 * 20 requests / 2 s per IP). It returns single fills, newest first; `after` means "ids EARLIER than" this
 * tradeId. Ids are sequential per instrument, so the 100 fills following id L are asked for with
 * `after = L + 101` and those with id <= L dropped (a hole in the ids only makes a page shorter).
 *
 * Live `trades` pushes aggregate the fills of one taker order at one price (canonical id = the last fill's
 * id, `first_id` the first): idRange covers them all. A page may therefore hold fills that a later live push
 * already delivered as part of an aggregate; the backfiller must produce only ids inside the gap it is
 * filling (docs/exchanges/okx.md, "Trade ids and backfill"), or they would count twice.
 */
export function okxTradeHistory(options: { restUrl: string; timeoutMs?: number }): TradeHistory {
  return {
    idRange: (trade: TradeMessage) => okxTradeIdRange(trade as OkxTradeMessage),
    async page(symbol, after, signal) {
      const before = after.id + BigInt(OKX_HISTORY_PAGE) + 1n
      const url =
        `${options.restUrl}/api/v5/market/history-trades?instId=${encodeURIComponent(symbol)}` +
        `&type=1&after=${before}&limit=${OKX_HISTORY_PAGE}`
      const response = await fetch(url, {
        signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs ?? 10_000)])
      })
      const body = await response.text()
      // 429 with code 50011 ("Too Many Requests"); the limit window is 2 s when OKX sends no Retry-After.
      if (response.status === 429) throw new RateLimited(retryAfterMs(response.headers, 2_000))
      if (!response.ok) throw new Error(`OKX history-trades: HTTP ${response.status} ${body.slice(0, 200)}`)
      const parsed = parseOkxHistoryTrades(
        parseLossless(body, null, (literal: string) => literal),
        Date.now()
      )
      if (!parsed.ok) {
        if (parsed.code === '50011') throw new RateLimited(retryAfterMs(response.headers, 2_000))
        throw new Error(`OKX history-trades: ${parsed.reason}`)
      }
      return parsed.value
        .filter((trade) => trade.symbol === symbol && BigInt(trade.id) > after.id)
        .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : BigInt(a.id) > BigInt(b.id) ? 1 : 0))
    }
  }
}
