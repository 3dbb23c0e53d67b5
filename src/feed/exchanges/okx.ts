import { setTimeout as sleep } from 'node:timers/promises'
import { parse as parseLossless } from 'lossless-json'
import { OkxBookSync } from '../../core/books/okx.ts'
import {
  OKX,
  classifyOkxFrame,
  mapOkxTrade,
  okxArgs,
  okxRequests,
  parseOkxBook,
  parseOkxRestBook
} from '../../core/mappers/okx.ts'
import type { ExchangeSession, SessionConnection } from '../session.ts'
import { retryAfterMs } from '../trade-history.ts'
import { BookPublisher } from './book-publisher.ts'
import { parseFrame, type FeedSink } from './frames.ts'

export interface OkxOptions {
  /** WebSocket URL, e.g. wss://ws.okx.com:8443/ws/v5/public. */
  url: string
  /** REST base for book snapshots (and trade history), e.g. https://www.okx.com. */
  restUrl: string
  /** Instrument ids, e.g. BTC-USDT. */
  symbols: string[]
  /** At most one depth message per symbol per this many ms (the first right after each sync). */
  depthIntervalMs: number
  /** Send the text `ping` after this long without a frame (OKX drops a connection silent for 30 s). */
  pingAfterMs?: number
  /** Delay before asking for a REST book again after a failure. */
  retryDelayMs?: number
  /** Resyncs by unsubscribe/subscribe per connection before falling back to REST (480 requests/hour). */
  maxResubscribes?: number
  log?: {
    warn(details: object, message: string): void
    error(details: object, message: string): void
  }
}

const REST_TIMEOUT_MS = 10_000

/**
 * How a symbol's book is being synced on this connection: waiting for the first `books` push after
 * subscribing (a snapshot, or an update when OKX sends no snapshot: then REST); resubscribing after a resync
 * (pushes before the new subscription's ack are dropped); seeding from REST; synced.
 */
type Phase = 'awaiting-first' | 'resubscribing' | 'rest' | 'synced'

interface SymbolState {
  book: OkxBookSync
  phase: Phase
  /** A REST book is wanted (or on its way). */
  needsRest: boolean
}

type RestOutcome = { done: true } | { done: false; reason: string | null; retryInMs: number }

/**
 * OKX v5 public: `trades` (one canonical trade per aggregated push element) and `books` (a local book per
 * instrument, kept by the seqId rule and the checksum when OKX sends one, core/books/okx.ts), published as its
 * top 20. Seeded by the WS snapshot, or from REST when no snapshot comes; resynced on a gap or checksum mismatch
 * by unsubscribe/subscribe when this connection has seen WS snapshots, else from REST. Keep-alive: the text
 * `ping` after `pingAfterMs` of silence (answered `pong`). Facts and sources: docs/exchanges/okx.md.
 */
export function okxSession(options: OkxOptions, sink: FeedSink): ExchangeSession {
  const pingAfterMs = options.pingAfterMs ?? 20_000
  const retryDelayMs = options.retryDelayMs ?? 1_000
  const maxResubscribes = options.maxResubscribes ?? 100
  const states = new Map<string, SymbolState>()
  let wake: () => void = () => undefined
  let lastFrameAt = Date.now()
  /** Per connection: did OKX send WS snapshots (then a resync resubscribes), and how often we resubscribed. */
  let snapshotsSeen = false
  let resubscribes = 0
  let requestId = 1000

  for (const symbol of options.symbols) states.set(symbol, newState())
  function newState(): SymbolState {
    return { book: new OkxBookSync(), phase: 'awaiting-first', needsRest: false }
  }
  const publisher = new BookPublisher({
    exchange: OKX,
    intervalMs: options.depthIntervalMs,
    sink,
    book: (symbol) => states.get(symbol)?.book,
    exchangeTs: (book) => book.lastTs
  })

  const requestRest = (state: SymbolState): void => {
    state.phase = 'rest'
    state.book.bufferUpdates()
    if (state.needsRest) return
    state.needsRest = true
    wake()
  }

  const resync = (symbol: string, state: SymbolState, reason: string, connection: SessionConnection) => {
    options.log?.warn({ symbol, reason }, 'order book out of sync; resyncing')
    publisher.cancel(symbol)
    if (snapshotsSeen && resubscribes < maxResubscribes) {
      state.book.reset() // pushes before the new snapshot are dropped
      resubscribes++
      state.phase = 'resubscribing'
      const args = [{ channel: 'books', instId: symbol }]
      connection.send(okxRequests('unsubscribe', args, requestId++)[0])
      connection.send(okxRequests('subscribe', args, requestId++)[0])
    } else requestRest(state) // the book keeps buffering from the frame that failed: REST may sit inside it
  }

  const onBooks = (
    symbol: string,
    action: string | null,
    item: unknown,
    text: string,
    recvTs: number,
    connection: SessionConnection
  ): void => {
    const frame = parseOkxBook(item, action)
    if (!frame.ok) return sink.rejected(text, frame.reason)
    const state = states.get(symbol)
    if (!state) return sink.rejected(text, `books push for unsubscribed instrument ${symbol}`)
    if (frame.value.action === 'snapshot') {
      snapshotsSeen = true
      state.needsRest = false // the REST loop skips this symbol (a REST book arriving now is ignored)
      state.phase = 'synced'
      const verdict = state.book.snapshot(frame.value)
      if (verdict.kind === 'resync') return resync(symbol, state, verdict.reason, connection)
      return publisher.now(symbol, recvTs, connection.signal) // the first book right after each sync
    }
    if (state.phase === 'awaiting-first') requestRest(state) // an update first: OKX sent no snapshot
    const verdict = state.book.update(frame.value)
    if (verdict.kind === 'applied') publisher.maybe(symbol, recvTs, connection.signal)
    else if (verdict.kind === 'resync') resync(symbol, state, verdict.reason, connection)
  }

  const onEvent = (
    event: string,
    code: string | null,
    msg: string | null,
    arg: { channel: string; instId: string } | null
  ): void => {
    if (event === 'subscribe' && arg?.channel === 'books') {
      const state = states.get(arg.instId)
      if (state?.phase === 'resubscribing') state.phase = 'awaiting-first'
    } else if (event === 'error') {
      // e.g. 60018 (instrument does not exist), 60012 (invalid request): the other subscriptions carry on.
      options.log?.error({ code, msg }, 'OKX refused a request')
    } else if (event === 'notice') {
      // 64008: the service will be upgraded in 60 s; OKX then closes the connection and we reconnect.
      options.log?.warn({ code, msg }, 'OKX notice')
    }
  }

  /** One REST book for `symbol`, seeded into its buffering book. */
  const fetchBook = async (
    symbol: string,
    state: SymbolState,
    connection: SessionConnection
  ): Promise<RestOutcome> => {
    const response = await fetch(`${options.restUrl}/api/v5/market/books?instId=${symbol}&sz=400`, {
      signal: AbortSignal.any([connection.signal, AbortSignal.timeout(REST_TIMEOUT_MS)])
    })
    const body = await response.text()
    if (response.status === 429) {
      const wait = retryAfterMs(response.headers, 2_000) // 40 requests / 2 s per IP
      return { done: false, reason: 'HTTP 429 (rate limited)', retryInMs: wait }
    }
    if (!response.ok)
      return { done: false, reason: `HTTP ${response.status} ${body.slice(0, 200)}`, retryInMs: retryDelayMs }
    const book = parseOkxRestBook(parseLossless(body, null, (literal: string) => literal))
    if (!book.ok) return { done: false, reason: book.reason, retryInMs: retryDelayMs }
    if (connection.signal.aborted || !state.needsRest) return { done: true }
    const verdict = state.book.seed(book.value)
    if (verdict.kind === 'applied' || verdict.kind === 'unchanged') return { done: true }
    if (verdict.kind === 'resync') {
      options.log?.warn({ symbol, reason: verdict.reason }, 'buffered book updates do not follow; refetching')
      state.book.bufferUpdates()
      return { done: false, reason: null, retryInMs: 0 }
    }
    return { done: false, reason: null, retryInMs: Math.min(retryDelayMs, 100) }
  }

  const syncFromRest = async (symbol: string, state: SymbolState, connection: SessionConnection) => {
    while (!connection.signal.aborted && state.needsRest) {
      const outcome: RestOutcome = await fetchBook(symbol, state, connection).catch(
        (error: Error): RestOutcome => ({ done: false, reason: error.message, retryInMs: retryDelayMs })
      )
      if (connection.signal.aborted) return
      if (outcome.done) {
        const seeded = state.needsRest && state.book.synced // not when a WS snapshot came meanwhile
        state.needsRest = false
        if (seeded) {
          state.phase = 'synced'
          publisher.now(symbol, Date.now(), connection.signal) // the first book right after each sync
        }
        return
      }
      if (outcome.reason !== null)
        options.log?.warn(
          { symbol, reason: `REST book: ${outcome.reason}`, retryInMs: outcome.retryInMs },
          'book snapshot failed, retrying'
        )
      if (outcome.retryInMs > 0)
        await sleep(outcome.retryInMs, undefined, { signal: connection.signal }).catch(() => undefined)
    }
  }

  /** The text `ping` when nothing arrived for pingAfterMs; OKX answers `pong` (any frame resets the wait). */
  const keepAlive = (connection: SessionConnection): void => {
    let lastPingAt = 0
    const timer = setInterval(
      () => {
        const now = Date.now()
        if (now - Math.max(lastFrameAt, lastPingAt) < pingAfterMs) return
        lastPingAt = now
        connection.sendText('ping')
      },
      Math.max(50, Math.min(1_000, pingAfterMs / 4))
    )
    connection.signal.addEventListener('abort', () => clearInterval(timer), { once: true })
  }

  return {
    url: options.url,
    subscribeMessages: () => okxRequests('subscribe', okxArgs(options.symbols)),
    onConnect() {
      lastFrameAt = Date.now()
      snapshotsSeen = false
      resubscribes = 0
      publisher.reset()
      for (const state of states.values()) {
        state.book.reset()
        state.phase = 'awaiting-first'
        state.needsRest = false
      }
    },
    async afterConnect(shouldCancel, connection) {
      keepAlive(connection)
      while (!shouldCancel()) {
        const next = [...states].find(([, state]) => state.needsRest)
        if (next) {
          await syncFromRest(next[0], next[1], connection)
          continue
        }
        await new Promise<void>((resolve) => {
          wake = resolve
          connection.signal.addEventListener('abort', () => resolve(), { once: true })
        })
      }
    },
    onFrame(text, recvTs, connection) {
      lastFrameAt = recvTs
      if (text === 'pong') return
      const parsed = parseFrame(text, sink)
      if (!parsed) return
      const frame = classifyOkxFrame(parsed.value)
      if (!frame) return sink.rejected(text, 'neither an OKX push nor an event')
      if (frame.kind === 'event') return onEvent(frame.event, frame.code, frame.msg, frame.arg)
      if (frame.arg.channel === 'trades') {
        for (const item of frame.data) {
          const mapped = mapOkxTrade(item, recvTs)
          if (mapped.ok) sink.message(mapped.value)
          else sink.rejected(text, mapped.reason)
        }
        return
      }
      if (frame.arg.channel === 'books') {
        for (const item of frame.data) onBooks(frame.arg.instId, frame.action, item, text, recvTs, connection)
        return
      }
      sink.rejected(text, `unexpected channel ${JSON.stringify(frame.arg.channel)}`)
    }
  }
}
