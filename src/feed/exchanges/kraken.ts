import { setTimeout as sleep } from 'node:timers/promises'
import { KrakenBook } from '../../core/books/kraken.ts'
import {
  KRAKEN,
  bookRequest,
  classifyKrakenFrame,
  krakenSubscriptions,
  mapKrakenTrade,
  parseKrakenBook
} from '../../core/mappers/kraken.ts'
import type { ExchangeSession, SessionConnection } from '../session.ts'
import { BookPublisher } from './book-publisher.ts'
import { parseFrame, type FeedSink } from './frames.ts'

export interface KrakenOptions {
  /** WebSocket v2 endpoint, e.g. wss://ws.kraken.com/v2 (used as given). */
  url: string
  /** REST base for the trade history, e.g. https://api.kraken.com. */
  restUrl: string
  /** WebSocket v2 symbols, e.g. BTC/USD. */
  symbols: string[]
  /** At most one depth message per symbol per this many ms (the first right after each snapshot). */
  depthIntervalMs: number
  /** Subscribed book depth: 25, the smallest of Kraken's depths that holds the 20 levels published. */
  bookDepth?: number
  /** Application-level ping (`{"method":"ping"}`) interval; Kraken drops connections idle for about a minute. */
  pingIntervalMs?: number
  /** A book still without a snapshot this long after (re)subscribing: reconnect. */
  snapshotTimeoutMs?: number
  log?: { warn(details: object, message: string): void }
}

interface BookState {
  book: KrakenBook
  /** unsubscribing: a mismatch was seen, the unsubscribe is on its way; refused: the exchange said no. */
  phase: 'awaiting-snapshot' | 'synced' | 'unsubscribing' | 'refused'
  /** When the current wait for a snapshot began (epoch ms). */
  since: number
}

/**
 * Kraken spot WebSocket v2: `trade` mapped one to one (sequential `trade_id` per book: gaps are filled from
 * the REST history, see kraken-trade-history.ts), and `book` at depth 25 kept locally (core/books/kraken.ts)
 * and verified by its CRC32 after every message. On a mismatch the book channel of that symbol is
 * unsubscribed and, once Kraken acknowledges, subscribed again with a snapshot. The connection pings at the
 * application level (`{"method":"ping","req_id":n}`) on a timer it owns.
 */
export function krakenSession(options: KrakenOptions, sink: FeedSink): ExchangeSession {
  const depth = options.bookDepth ?? 25
  const pingIntervalMs = options.pingIntervalMs ?? 20_000
  const snapshotTimeoutMs = options.snapshotTimeoutMs ?? 15_000
  const states = new Map<string, BookState>()
  let reqId = 0
  const nextReqId = () => ++reqId

  const stateOf = (symbol: string): BookState => {
    let state = states.get(symbol)
    if (!state) {
      state = { book: new KrakenBook(depth), phase: 'awaiting-snapshot', since: Date.now() }
      states.set(symbol, state)
    }
    return state
  }
  for (const symbol of options.symbols) stateOf(symbol)

  const publisher = new BookPublisher({
    exchange: KRAKEN,
    intervalMs: options.depthIntervalMs,
    sink,
    book: (symbol) => states.get(symbol)?.book,
    exchangeTs: (book) => book.lastTs
  })

  const resync = (symbol: string, state: BookState, connection: SessionConnection, why: string) => {
    options.log?.warn({ symbol, reason: why }, 'book checksum mismatch: resubscribing the book')
    state.phase = 'unsubscribing'
    state.since = Date.now()
    connection.send(bookRequest('unsubscribe', [symbol], depth, nextReqId()))
  }

  const onBook = (
    type: 'snapshot' | 'update',
    data: unknown[],
    text: string,
    recvTs: number,
    connection: SessionConnection
  ) => {
    const parsed = parseKrakenBook(data)
    if (!parsed.ok) return sink.rejected(text, parsed.reason)
    const symbol = parsed.value.symbol
    const state = stateOf(symbol)
    if (type === 'snapshot') {
      if (state.phase === 'unsubscribing') return // from before the resync; the new one follows the ack
      const verdict = state.book.snapshot(parsed.value)
      if (verdict === 'mismatch') return resync(symbol, state, connection, 'snapshot checksum')
      state.phase = 'synced'
      return publisher.now(symbol, recvTs, connection.signal)
    }
    if (state.phase !== 'synced') return // updates before the (new) snapshot belong to the old book
    const verdict = state.book.update(parsed.value)
    if (verdict === 'ok') return publisher.maybe(symbol, recvTs, connection.signal)
    if (verdict === 'mismatch') resync(symbol, state, connection, 'update checksum')
  }

  const onAck = (
    ack: { method: 'subscribe' | 'unsubscribe'; channel: string | null; symbol: string | null },
    success: boolean,
    error: string | null,
    text: string,
    connection: SessionConnection
  ) => {
    const state = ack.symbol === null ? undefined : states.get(ack.symbol)
    if (ack.method === 'unsubscribe') {
      // Acknowledged or refused (e.g. not subscribed any more): either way, subscribe again for a snapshot.
      if (state && ack.symbol !== null && state.phase === 'unsubscribing' && ack.channel !== 'trade') {
        state.phase = 'awaiting-snapshot'
        state.since = Date.now()
        connection.send(bookRequest('subscribe', [ack.symbol], depth, nextReqId()))
      }
      return
    }
    if (success) return
    // A refused subscription (e.g. "Currency pair not supported"): report the frame; no snapshot will come.
    if (state && ack.channel !== 'trade') state.phase = 'refused'
    sink.rejected(text, `subscribe refused: ${error ?? 'no reason given'}`)
  }

  return {
    url: options.url,
    subscribeMessages: () => krakenSubscriptions(options.symbols, depth, nextReqId),
    onConnect() {
      publisher.reset()
      const now = Date.now()
      for (const state of states.values()) {
        state.book.reset()
        state.phase = 'awaiting-snapshot'
        state.since = now
      }
    },
    async afterConnect(shouldCancel, connection) {
      const ping = setInterval(() => connection.send({ method: 'ping', req_id: nextReqId() }), pingIntervalMs)
      connection.signal.addEventListener('abort', () => clearInterval(ping))
      // Watchdog: a book that never gets its snapshot (a lost ack, a silent resubscribe) costs a reconnect.
      while (!shouldCancel()) {
        await sleep(Math.min(1_000, snapshotTimeoutMs), undefined, { signal: connection.signal }).catch(
          () => undefined
        )
        if (shouldCancel()) return
        const now = Date.now()
        for (const [symbol, state] of states) {
          const waiting = state.phase === 'awaiting-snapshot' || state.phase === 'unsubscribing'
          if (waiting && now - state.since > snapshotTimeoutMs)
            throw new Error(`no book snapshot for ${symbol} within ${snapshotTimeoutMs} ms`)
        }
      }
    },
    onFrame(text, recvTs, connection) {
      const frame = parseFrame(text, sink)
      if (!frame) return
      const classified = classifyKrakenFrame(frame.value)
      if (!classified.ok) return sink.rejected(text, classified.reason)
      const message = classified.value
      switch (message.kind) {
        case 'trade':
          for (const item of message.data) {
            const mapped = mapKrakenTrade(item, recvTs)
            if (mapped.ok) sink.message(mapped.value)
            else sink.rejected(text, mapped.reason)
          }
          return
        case 'book':
          return onBook(message.type, message.data, text, recvTs, connection)
        case 'ack':
          return onAck(message, message.success, message.error, text, connection)
        case 'status':
          if (message.system !== 'online')
            options.log?.warn({ system: message.system }, 'Kraken reports the trading engine is not online')
          return
        case 'heartbeat':
        case 'pong':
          return // proof of life: the connection already counts every frame
      }
    }
  }
}
