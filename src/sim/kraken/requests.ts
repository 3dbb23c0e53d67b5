import { viewOf, type BookSub } from './book-view.ts'
import { bookMessage, checksum, levelsJson, tradeMessage } from './frames.ts'
import type { SymbolBook } from './market.ts'

/**
 * A client's WebSocket v2 requests (no IO): `ping`, and `subscribe` / `unsubscribe` of `trade` and `book`,
 * answered once per symbol; the answers (and snapshots) come back in the order they are sent.
 */
const DEPTHS = new Set([10, 25, 100, 500, 1000])

/** What a connection is subscribed to. */
export interface Subscriber {
  trades: Set<string>
  books: Map<string, BookSub>
}

export interface RequestContext {
  books: Map<string, SymbolBook>
  /** The RFC 3339 time now. */
  stamp(): string
  /** A ping arrived. */
  pinged(): void
  /** A `book` subscription of `symbol` was accepted. */
  bookSubscribed(symbol: string): void
}

/** The messages that answer one request text, in order; the subscriber's state follows it. */
export function answerRequest(client: Subscriber, text: string, ctx: RequestContext): string[] {
  const timeIn = ctx.stamp()
  let request: { method?: unknown; params?: Record<string, unknown>; req_id?: unknown }
  try {
    request = JSON.parse(text) as typeof request
  } catch {
    return [`{"error":"Malformed request","success":false,"time_in":"${timeIn}","time_out":"${ctx.stamp()}"}`]
  }
  const reqId = Number.isSafeInteger(request.req_id) ? `,"req_id":${request.req_id as number}` : ''
  const times = () => `"time_in":"${timeIn}","time_out":"${ctx.stamp()}"${reqId}`
  if (request.method === 'ping') {
    ctx.pinged()
    return [`{"method":"pong",${times()}}`]
  }
  const method = request.method
  const params = request.params ?? {}
  const channel = params.channel
  if ((method !== 'subscribe' && method !== 'unsubscribe') || (channel !== 'trade' && channel !== 'book'))
    return [`{"error":"Method or channel not supported","success":false,${times()}}`]
  const out: string[] = []
  const depth = channel === 'book' ? ((params.depth as number | undefined) ?? 10) : 0
  const symbols = Array.isArray(params.symbol) ? (params.symbol as unknown[]) : []
  for (const symbol of symbols) {
    const book = typeof symbol === 'string' ? ctx.books.get(symbol) : undefined
    const refuse = (error: string) =>
      out.push(
        `{"error":${JSON.stringify(error)},"method":"${method}","success":false,"symbol":${JSON.stringify(symbol)},${times()}}`
      )
    if (!book) {
      refuse(`Currency pair not supported ${String(symbol)}`)
      continue
    }
    if (channel === 'book' && !DEPTHS.has(depth)) {
      refuse(`Invalid depth ${depth}`)
      continue
    }
    const subscribed = channel === 'trade' ? client.trades.has(book.symbol) : client.books.has(book.symbol)
    if (method === 'subscribe' && subscribed) {
      refuse('Already subscribed')
      continue
    }
    if (method === 'unsubscribe' && !subscribed) {
      refuse('Subscription Not Found')
      continue
    }
    const result =
      channel === 'trade'
        ? `{"channel":"trade"${method === 'subscribe' ? `,"snapshot":${params.snapshot === true}` : ''},"symbol":"${book.symbol}"}`
        : `{"channel":"book","depth":${depth}${method === 'subscribe' ? ',"snapshot":true' : ''},"symbol":"${book.symbol}"}`
    out.push(`{"method":"${method}","result":${result},"success":true,${times()}}`)
    if (method === 'unsubscribe') {
      if (channel === 'trade') client.trades.delete(book.symbol)
      else client.books.delete(book.symbol)
    } else if (channel === 'book') out.push(subscribeBook(client, book, depth, ctx))
    else {
      client.trades.add(book.symbol)
      if (params.snapshot === true && book.trades.length > 0)
        out.push(tradeMessage(book, 'snapshot', book.trades.slice(-50)))
    }
  }
  return out
}

/** A new `book` subscription: its view, and the snapshot of it. */
function subscribeBook(client: Subscriber, book: SymbolBook, depth: number, ctx: RequestContext): string {
  const view = viewOf(book, depth)
  client.books.set(book.symbol, { depth, view })
  ctx.bookSubscribed(book.symbol)
  const bids = levelsJson(book, [...view.bids])
  const asks = levelsJson(book, [...view.asks])
  return bookMessage(book, 'snapshot', bids, asks, checksum(book, view), ctx.stamp())
}
