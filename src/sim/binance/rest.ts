import type { IncomingMessage, ServerResponse } from 'node:http'
import { FailNext, clampedLimit, replyJson, requestUrl, retryAfterHeader } from '../kit/http.ts'
import type { BinanceMarket, HistoryTrade } from './market.ts'
import type { BinanceFailure } from './types.ts'

type Reply = (status: number, body: unknown, headers?: Record<string, string>) => void

/** The REST API's state: failure hooks and what was asked. */
export interface BinanceRestState {
  snapshotFailures: FailNext<BinanceFailure>
  historyFailures: FailNext<BinanceFailure>
  snapshotLog: { symbol: string; at: number; status: number }[]
  snapshotCounts: Map<string, number>
  historyLog: { fromId: string | null; status: number }[]
}

/** `historicalTrades`: up to `limit` trades from id `fromId` on, oldest first; without fromId the most recent. */
export function historyPage(
  trades: HistoryTrade[],
  fromId: string | null,
  limitText: string | null
): unknown[] {
  const limit = clampedLimit(limitText, 500, 1_000)
  const from =
    fromId === null ? Math.max(0, trades.length - limit) : trades.findIndex((t) => t.id >= Number(fromId))
  return from < 0
    ? []
    : trades.slice(from, from + limit).map((t) => ({ ...t, quoteQty: '0', isBestMatch: true }))
}

const statusOf = (failure: BinanceFailure | null): number => (failure ? (failure.rateLimit ? 429 : 503) : 200)

function fail({ rateLimit }: BinanceFailure, reply: Reply): void {
  if (rateLimit)
    return reply(429, { code: -1003, msg: 'Too many requests.' }, retryAfterHeader(rateLimit.retryAfterS))
  reply(503, { code: -1001, msg: 'Internal error; unable to process your request. Please try again.' })
}

/** `GET /api/v3/depth` (answered after `snapshotDelayMs`, taken at request time) and `/api/v3/historicalTrades`. */
export function binanceRest(
  market: BinanceMarket,
  state: BinanceRestState,
  snapshotDelayMs: number
): (request: IncomingMessage, response: ServerResponse) => void {
  const historicalTrades = (url: URL, reply: Reply): void => {
    const fromId = url.searchParams.get('fromId')
    const trades = market.history.get(url.searchParams.get('symbol') ?? '')
    if (!trades) return reply(400, { code: -1121, msg: 'Invalid symbol.' })
    const failure = state.historyFailures.take()
    state.historyLog.push({ fromId, status: statusOf(failure) })
    if (failure) return fail(failure, reply)
    reply(200, historyPage(trades, fromId, url.searchParams.get('limit')))
  }
  return (request, response) => {
    const url = requestUrl(request)
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      replyJson(response, status, body, headers)
    if (request.method === 'GET' && url.pathname === '/api/v3/historicalTrades')
      return historicalTrades(url, reply)
    if (request.method !== 'GET' || url.pathname !== '/api/v3/depth')
      return reply(404, { code: -1000, msg: 'Unknown path.' })
    const symbol = url.searchParams.get('symbol') ?? ''
    const book = market.books.get(symbol)
    if (!book) return reply(400, { code: -1121, msg: 'Invalid symbol.' })
    state.snapshotCounts.set(symbol, (state.snapshotCounts.get(symbol) ?? 0) + 1)
    const failure = state.snapshotFailures.take()
    state.snapshotLog.push({ symbol, at: Date.now(), status: statusOf(failure) })
    if (failure) return fail(failure, reply)
    const limit = clampedLimit(url.searchParams.get('limit'), 100, 5_000)
    const snapshot = market.top(book, limit) // taken now, answered after the delay: events keep flowing
    setTimeout(() => reply(200, snapshot), snapshotDelayMs)
  }
}
