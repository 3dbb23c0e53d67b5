import { setTimeout as sleep } from 'node:timers/promises'
import { BybitBook } from '../../core/books/bybit.ts'
import {
  BYBIT,
  BYBIT_BOOK_DEPTH,
  bybitBookTopic,
  bybitRequests,
  bybitTopics,
  classifyBybitFrame,
  mapBybitTrades,
  parseBybitBook,
  type BybitRequest
} from '../../core/mappers/bybit.ts'
import type { ExchangeSession, SessionConnection } from '../session.ts'
import { BookPublisher } from './book-publisher.ts'
import { parseFrame, type FeedSink } from './frames.ts'

export interface BybitOptions {
  /** The v5 public spot socket, e.g. wss://stream.bybit.com/v5/public/spot (used as given). */
  url: string
  /** Spot symbols as Bybit spells them, e.g. BTCUSDT. */
  symbols: string[]
  /** At most one depth message per symbol per this many ms (the first right after each snapshot). */
  depthIntervalMs: number
  /** Application-level ping (`{"req_id":"…","op":"ping"}`) interval; Bybit recommends every 20 s. */
  pingIntervalMs?: number
  /** A book still without a snapshot this long after (re)subscribing: reconnect. */
  syncTimeoutMs?: number
  log?: { warn(details: object, message: string): void }
}

/**
 * Where a symbol's book subscription stands on the current connection.
 * awaiting: subscribed (or the request is on its way), no snapshot yet — the snapshot may come before the ack;
 * synced: deltas apply; unsubscribing: a gap was seen, the unsubscribe is on its way and book messages until
 * its answer belong to the old subscription; refused: Bybit refused the subscription (nothing to wait for).
 */
type Phase = 'awaiting' | 'synced' | 'unsubscribing' | 'refused'

interface BookState {
  book: BybitBook
  phase: Phase
  /** When the current phase began (epoch ms): a book awaiting too long means a reconnect. */
  since: number
}

/**
 * Bybit v5 public spot: `publicTrade.<symbol>` mapped one trade to one message, and `orderbook.50.<symbol>`
 * kept locally (core/books/bybit.ts) under the `u` rule: a snapshot replaces the book, each delta's `u` must be
 * the previous `u` + 1. On a discontinuity the book topic of that symbol is unsubscribed and, once Bybit
 * answers, subscribed again: a new subscription starts with a snapshot. Bybit's REST order book is not used:
 * the socket's own snapshot is the documented way to (re)start a book and keeps `u` continuous with the
 * deltas that follow, while the REST book's `u` belongs to the 1000-level stream, not to depth 50.
 * Requests carry a `req_id`, which the answers echo; the connection pings at the application level on a
 * timer it owns. Trade ids are not sequential per symbol, so Bybit has no REST gap filling (no TradeHistory;
 * see docs/exchanges/bybit.md).
 */
export function bybitSession(options: BybitOptions, sink: FeedSink): ExchangeSession {
  const pingIntervalMs = options.pingIntervalMs ?? 20_000
  const syncTimeoutMs = options.syncTimeoutMs ?? 15_000
  const states = new Map<string, BookState>()
  for (const symbol of options.symbols)
    states.set(symbol, { book: new BybitBook(BYBIT_BOOK_DEPTH), phase: 'awaiting', since: Date.now() })
  /** Requests of this connection awaiting an answer, by req_id; `resync`: a book subscribed again after a gap. */
  const pending = new Map<string, BybitRequest & { resync?: true }>()
  let reqCounter = 0
  const nextReqId = () => String(++reqCounter)

  const publisher = new BookPublisher({
    exchange: BYBIT,
    intervalMs: options.depthIntervalMs,
    sink,
    book: (symbol) => states.get(symbol)?.book,
    exchangeTs: (book) => book.lastTs
  })

  const request = (connection: SessionConnection, op: 'subscribe' | 'unsubscribe', topics: string[]) => {
    for (const message of bybitRequests(op, topics, nextReqId)) {
      pending.set(message.req_id, { ...message, resync: true })
      connection.send(message)
    }
  }

  const resync = (symbol: string, state: BookState, connection: SessionConnection, why: string) => {
    options.log?.warn({ symbol, reason: why }, 'book out of sequence: resubscribing the book')
    state.book.reset()
    state.phase = 'unsubscribing'
    state.since = Date.now()
    request(connection, 'unsubscribe', [bybitBookTopic(symbol)])
  }

  /** An answer to one of our requests (matched by req_id). */
  const onResponse = (
    answer: { op: string; success: boolean; message: string; reqId: string | null },
    text: string,
    connection: SessionConnection
  ) => {
    const sent = answer.reqId === null ? undefined : pending.get(answer.reqId)
    if (answer.reqId !== null) pending.delete(answer.reqId)
    const books = (sent?.args ?? [])
      .map((topic) => /^orderbook\.\d+\.(.+)$/.exec(topic)?.[1])
      .filter((symbol): symbol is string => symbol !== undefined && states.has(symbol))
    if (sent?.op === 'unsubscribe') {
      // Whatever the answer (a refusal most likely means "not subscribed"), the old subscription is over:
      // subscribe again. If that never brings a snapshot, the sync watchdog reconnects.
      for (const symbol of books) {
        const state = states.get(symbol) as BookState
        if (state.phase !== 'unsubscribing') continue
        state.phase = 'awaiting'
        state.since = Date.now()
        request(connection, 'subscribe', [bybitBookTopic(symbol)])
      }
      if (!answer.success)
        options.log?.warn({ topics: sent.args, reason: answer.message }, 'unsubscribe refused')
      return
    }
    if (answer.success) return
    // A refused first subscription (e.g. an unknown symbol): retrying cannot help; report it, keep the rest
    // going. A snapshot that still arrives for one of these topics (Bybit may have subscribed the others) is
    // used. A refused resubscription stays awaiting: the sync watchdog reconnects.
    for (const symbol of books) {
      const state = states.get(symbol) as BookState
      if (state.phase === 'awaiting' && !sent?.resync) state.phase = 'refused'
    }
    const what = sent
      ? `${sent.op} ${JSON.stringify(sent.args ?? [])}`
      : `${answer.op} (req_id ${answer.reqId})`
    sink.rejected(text, `Bybit refused ${what}: ${answer.message}`)
  }

  const onBook = (
    symbol: string,
    depth: number,
    frame: Record<string, unknown>,
    text: string,
    recvTs: number,
    connection: SessionConnection
  ) => {
    const state = states.get(symbol)
    if (!state || depth !== BYBIT_BOOK_DEPTH)
      return sink.rejected(text, `book topic of a depth or symbol not subscribed: ${depth}.${symbol}`)
    const parsed = parseBybitBook(symbol, frame)
    if (!parsed.ok) return sink.rejected(text, parsed.reason)
    if (state.phase === 'unsubscribing') return // the old subscription's; the new one starts with a snapshot
    const message = parsed.value
    if (state.phase !== 'synced' && message.type === 'delta') {
      // A subscription starts with a snapshot: a delta before it means the stream is not what Bybit documents.
      if (state.phase === 'awaiting') resync(symbol, state, connection, 'a delta before the snapshot')
      return
    }
    const verdict = state.book.apply(message)
    if (verdict === 'snapshot') {
      state.phase = 'synced'
      state.since = recvTs
      return publisher.now(symbol, recvTs, connection.signal)
    }
    if (verdict === 'applied') return publisher.maybe(symbol, recvTs, connection.signal)
    resync(symbol, state, connection, `u ${message.updateId} does not follow the previous u`)
  }

  return {
    url: options.url,
    onConnect() {
      pending.clear()
      publisher.reset()
      for (const state of states.values()) {
        state.book.reset()
        state.phase = 'awaiting'
        state.since = Date.now()
      }
    },
    subscribeMessages() {
      const messages = bybitRequests('subscribe', bybitTopics(options.symbols), nextReqId)
      for (const message of messages) pending.set(message.req_id, message)
      return messages
    },
    async afterConnect(shouldCancel, connection) {
      const ping = setInterval(() => connection.send({ req_id: nextReqId(), op: 'ping' }), pingIntervalMs)
      connection.signal.addEventListener('abort', () => clearInterval(ping), { once: true })
      // The sync watchdog: a book that gets no snapshot (a lost answer, a subscription that never starts)
      // would stay empty for the life of the connection; rejecting here makes the connection reconnect.
      while (!shouldCancel()) {
        await sleep(Math.min(1_000, syncTimeoutMs), undefined, { signal: connection.signal }).catch(
          () => undefined
        )
        if (shouldCancel()) return
        const now = Date.now()
        for (const [symbol, state] of states)
          if (
            (state.phase === 'awaiting' || state.phase === 'unsubscribing') &&
            now - state.since > syncTimeoutMs
          )
            throw new Error(`the ${symbol} book got no snapshot within ${syncTimeoutMs} ms of subscribing`)
      }
    },
    onFrame(text, recvTs, connection) {
      const parsed = parseFrame(text, sink)
      if (!parsed) return
      const frame = classifyBybitFrame(parsed.value)
      switch (frame.kind) {
        case 'pong':
          return
        case 'response':
          return onResponse(frame, text, connection)
        case 'trade': {
          const { trades, errors } = mapBybitTrades(frame.symbol, frame.frame, recvTs)
          for (const trade of trades) sink.message(trade)
          if (errors.length > 0) sink.rejected(text, errors.join('; '))
          return
        }
        case 'book':
          return onBook(frame.symbol, frame.depth, frame.frame, text, recvTs, connection)
        case 'unknown':
          return sink.rejected(text, frame.reason)
      }
    }
  }
}
