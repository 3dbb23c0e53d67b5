import { DEPTH, levelsOf, type SymbolBook } from './view.ts'

/** Bybit v5 public spot messages (pure). */

/** At most this many trades in one publicTrade message. */
export const MAX_TRADES_PER_MESSAGE = 1024

export const bookTopic = (symbol: string): string => `orderbook.${DEPTH}.${symbol}`
export const tradeTopic = (symbol: string): string => `publicTrade.${symbol}`

export function bookMessage(
  book: SymbolBook,
  type: 'snapshot' | 'delta',
  now: number,
  seq: number,
  b: string[][],
  a: string[][]
): string {
  // Spot book messages carry "ts" before "type" (Bybit's orderbook page).
  return JSON.stringify({
    topic: bookTopic(book.symbol),
    ts: now,
    type,
    data: { s: book.symbol, b, a, u: book.u, seq },
    cts: now - 2
  })
}

/** A snapshot of the topic's view. */
export function snapshotOf(book: SymbolBook, now: number, seq: number): string {
  const { bids, asks } = book.view
  return bookMessage(book, 'snapshot', now, seq, levelsOf(book, bids, true), levelsOf(book, asks, false))
}

/** The publicTrade messages of one symbol's trades in a tick: slices of at most 1024. */
export function tradeMessages<T extends { trade: unknown }>(
  symbol: string,
  now: number,
  trades: T[]
): { text: string; slice: T[] }[] {
  const out: { text: string; slice: T[] }[] = []
  for (let i = 0; i < trades.length; i += MAX_TRADES_PER_MESSAGE) {
    const slice = trades.slice(i, i + MAX_TRADES_PER_MESSAGE)
    const data = slice.map((t) => t.trade)
    out.push({ text: JSON.stringify({ topic: tradeTopic(symbol), type: 'snapshot', ts: now, data }), slice })
  }
  return out
}

/** The answer to a request: success, ret_msg, conn_id, the request's req_id (if any) and op. */
export function answerOf(
  connId: string,
  request: Record<string, unknown>,
  success: boolean,
  retMsg: string
): string {
  const reply: Record<string, unknown> = { success, ret_msg: retMsg, conn_id: connId }
  if (request.req_id !== undefined) reply.req_id = request.req_id
  reply.op = request.op
  return JSON.stringify(reply)
}
