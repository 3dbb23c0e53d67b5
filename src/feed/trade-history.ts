import type { TradeMessage } from '../core/messages.ts'

/**
 * An exchange's REST trade history, used to fill gaps in a stream whose trade ids are sequential per symbol
 * (after a reconnect, or a hole in-stream). The feed notices the gap from `idRange`; the backfiller
 * (backfill.ts) asks `page` for what is missing, page by page, honouring rate limits, and produces the
 * trades it gets, flagged `backfill: true`. Exchanges whose ids are not sequential (or whose REST cannot
 * page by id or time) have no TradeHistory: their gaps cannot be detected.
 */
export interface TradeHistory {
  /**
   * The sequential ids a canonical trade of this exchange covers: first = last, unless the exchange
   * aggregates consecutive fills into one message (OKX `trades`: `tradeId` is the last of `count`).
   * null: this trade's id is not sequential (it is ignored by gap detection).
   */
  idRange(trade: TradeMessage): { first: bigint; last: bigint } | null
  /**
   * Trades of `symbol` after `after` (the last trade seen before the gap: its id and exchange time), oldest
   * first, one REST page (the backfiller calls again from the last id it got until the gap is closed).
   * Canonical trades with `recv_ts` = now. Rate limited: throw `RateLimited` with the wait the exchange asked
   * for (Retry-After), never less than a second. Any other failure: throw; the backfiller retries with backoff.
   */
  page(symbol: string, after: { id: bigint; ts: number }, signal: AbortSignal): Promise<TradeMessage[]>
}

/** Thrown by TradeHistory.page when the exchange says "too many requests": wait this long, then ask again. */
export class RateLimited extends Error {
  readonly retryAfterMs: number
  constructor(retryAfterMs: number, message = `rate limited: retry after ${retryAfterMs} ms`) {
    super(message)
    this.name = 'RateLimited'
    this.retryAfterMs = retryAfterMs
  }
}

/** The wait a 429/418 response asks for: its Retry-After header in seconds, else `fallbackMs`; at least 1 s. */
export function retryAfterMs(headers: Headers, fallbackMs = 60_000): number {
  const header = headers.get('retry-after')
  const seconds = header === null ? Number.NaN : Number(header)
  return Math.max(1_000, Number.isFinite(seconds) ? seconds * 1000 : fallbackMs)
}
