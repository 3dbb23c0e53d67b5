import { parse as parseLossless } from 'lossless-json'
import {
  KRAKEN,
  isKrakenRateLimit,
  krakenRestPair,
  parseKrakenRestTrades
} from '../../core/mappers/kraken.ts'
import type { TradeMessage } from '../../core/messages.ts'
import { RateLimited, retryAfterMs, type TradeHistory } from '../trade-history.ts'

export interface KrakenTradeHistoryOptions {
  /** REST base, e.g. https://api.kraken.com. */
  restUrl: string
  /** Trades per request (Kraken: 1..1000). */
  pageSize?: number
  /** Wait after Kraken's in-body rate-limit error, which carries no Retry-After. */
  rateLimitWaitMs?: number
}

const REQUEST_TIMEOUT_MS = 10_000
/** Full pages of trades the gap already holds (same millisecond as the last one seen) skipped per page(). */
const MAX_SKIPPED_PAGES = 10

/**
 * Kraken's REST trade history (`GET /0/public/Trades?pair=&since=&count=`) as a TradeHistory. Kraken pages
 * by time, not by id: `since` is a time in nanoseconds and each answer's `last` is the `since` of the next
 * page. The ids are sequential per book, so the gap is found by id and the page is filtered by id: it
 * starts just before the millisecond of the last trade seen (the WebSocket gives microseconds, the canonical
 * trade keeps milliseconds) and keeps the trades whose id is above it.
 */
export function krakenTradeHistory(options: KrakenTradeHistoryOptions): TradeHistory {
  const pageSize = options.pageSize ?? 1_000
  const rateLimitWaitMs = options.rateLimitWaitMs ?? 5_000
  return {
    idRange(trade) {
      if (trade.exchange !== KRAKEN || !/^\d{1,19}$/.test(trade.id)) return null
      const id = BigInt(trade.id)
      return { first: id, last: id }
    },
    async page(symbol, after, signal) {
      let since = BigInt(Math.max(0, after.ts)) * 1_000_000n - 1n
      for (let request = 0; request <= MAX_SKIPPED_PAGES; request++) {
        const url = `${options.restUrl}/0/public/Trades?pair=${encodeURIComponent(krakenRestPair(symbol))}&since=${since}&count=${pageSize}`
        const response = await fetch(url, {
          signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)])
        })
        const text = await response.text()
        if (response.status === 429 || response.status === 418)
          throw new RateLimited(retryAfterMs(response.headers))
        if (!response.ok) throw new Error(`Kraken Trades: HTTP ${response.status} ${text.slice(0, 200)}`)
        const parsed = parseKrakenRestTrades(
          parseLossless(text, null, (literal: string) => literal),
          symbol,
          Date.now()
        )
        if (!parsed.ok) {
          if (parsed.errors.some(isKrakenRateLimit)) throw new RateLimited(Math.max(1_000, rateLimitWaitMs))
          throw new Error(`Kraken Trades: ${parsed.reason}`)
        }
        const missing: TradeMessage[] = parsed.trades
          .filter((trade) => BigInt(trade.id) > after.id)
          .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1))
        if (missing.length > 0 || parsed.trades.length < pageSize) return missing
        const next = BigInt(parsed.last)
        if (next <= since) return [] // Kraken did not move on: nothing newer
        since = next
      }
      return []
    }
  }
}
