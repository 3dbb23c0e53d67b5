import type { IncomingMessage, ServerResponse } from 'node:http'
import { FailNext, clampedLimit, replyJsonText, requestUrl, retryAfterHeader } from '../kit/http.ts'
import type { SymbolBook, Trade } from './market.ts'
import type { KrakenHistoryFailure, KrakenHistoryRequest } from './types.ts'

/** REST pair names (altname, and the name the response is keyed by); others: the symbol without its slash. */
const REST_NAMES: Record<string, { altname: string; name: string }> = {
  'BTC/USD': { altname: 'XBTUSD', name: 'XXBTZUSD' },
  'ETH/USD': { altname: 'ETHUSD', name: 'XETHZUSD' },
  'DOGE/USD': { altname: 'XDGUSD', name: 'XDGUSD' }
}

/** The book a REST `pair` names: its altname, its REST name, or the v2 symbol itself. */
export function bookOfPair(books: Iterable<SymbolBook>, pair: string): SymbolBook | undefined {
  return [...books].find((b) => {
    const names = REST_NAMES[b.symbol] ?? {
      altname: b.symbol.replace('/', ''),
      name: b.symbol.replace('/', '')
    }
    return pair === names.altname || pair === names.name || pair === b.symbol
  })
}

/** The `GET /0/public/Trades` body of a book's trades after `since`, `count` at most (pure). */
export function tradesBody(book: SymbolBook, since: string | null, count: string | null): string {
  const limit = clampedLimit(count, 1000, 1000)
  // `since`: nanoseconds; a value of 10 digits or fewer is read as seconds, as Kraken's examples use.
  const sinceNs =
    since === null || !/^\d+$/.test(since)
      ? null
      : since.length <= 10
        ? BigInt(since) * 1_000_000_000n
        : BigInt(since)
  const rows: Trade[] =
    sinceNs === null
      ? book.trades.slice(-limit)
      : book.trades.filter((t) => t.timeNs > sinceNs).slice(0, limit)
  const lastNs = rows.at(-1)?.timeNs ?? sinceNs ?? 0n
  const key = REST_NAMES[book.symbol]?.name ?? book.symbol.replace('/', '')
  const body = rows
    .map(
      (t) =>
        `["${t.price}","${t.quantity}",${t.timeNs / 1_000_000_000n}.${String((t.timeNs / 1_000n) % 1_000_000n).padStart(6, '0')},"${t.side === 'buy' ? 'b' : 's'}","${t.ordType === 'market' ? 'm' : 'l'}","",${t.id}]`
    )
    .join(',')
  return `{"error":[],"result":{"${key}":[${body}],"last":"${lastNs}"}}`
}

/** `GET /0/public/Trades?pair=&since=&count=`, rate limited on demand (429, or the in-body error). */
export function krakenRest(
  books: Map<string, SymbolBook>,
  failures: FailNext<KrakenHistoryFailure>,
  historyLog: KrakenHistoryRequest[]
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const url = requestUrl(request)
    const reply = (status: number, body: string, headers: Record<string, string> = {}) =>
      replyJsonText(response, status, body, headers)
    if (request.method !== 'GET' || url.pathname !== '/0/public/Trades')
      return reply(404, '{"error":["EGeneral:Unknown method"]}')
    const pair = url.searchParams.get('pair') ?? ''
    const since = url.searchParams.get('since')
    const count = url.searchParams.get('count')
    const log = (status: number) => historyLog.push({ pair, since, count, at: Date.now(), status })
    const failure = failures.take()
    if (failure) {
      const rateLimited = '{"error":["EGeneral:Too many requests"]}'
      if ('retryAfterS' in failure) {
        log(429)
        return reply(429, rateLimited, retryAfterHeader(failure.retryAfterS))
      }
      log(200)
      return reply(200, rateLimited)
    }
    log(200)
    const book = bookOfPair(books.values(), pair)
    if (!book) return reply(200, '{"error":["EQuery:Unknown asset pair"]}')
    reply(200, tradesBody(book, since, count))
  }
}
