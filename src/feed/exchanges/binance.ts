import { setTimeout as sleep } from 'node:timers/promises'
import { parse as parseLossless } from 'lossless-json'
import {
  BINANCE,
  binanceStreams,
  mapBinanceHistoricalTrade,
  mapBinanceTrade,
  parseBinanceDepthUpdate,
  parseBinanceSnapshot,
  parseBinanceStream,
  unwrapBinanceFrame
} from '../../core/mappers/binance.ts'
import { BinanceBookSync } from '../../core/order-book.ts'
import type { ExchangeSession, SessionConnection } from '../session.ts'
import { RateLimited, retryAfterMs, type TradeHistory } from '../trade-history.ts'
import { sequentialId } from '../../core/trade-gaps.ts'
import { BookPublisher } from './book-publisher.ts'
import { parseFrame, type FeedSink } from './frames.ts'

export interface BinanceOptions {
  /** WebSocket base, e.g. wss://stream.binance.com:9443 (the session appends /stream?streams=...). */
  url: string
  /** REST base for depth snapshots, e.g. https://api.binance.com. */
  restUrl: string
  symbols: string[]
  /** At most one depth message per symbol per this many ms (the first right after each sync). */
  depthIntervalMs: number
  /** Delay before fetching a snapshot again after a failure or a too-old snapshot. */
  retryDelayMs?: number
  /** Levels requested per snapshot (Binance allows up to 5000). */
  snapshotLimit?: number
  /** Where failed snapshot requests are reported (they are retried; they are not frames for the DLQ). */
  log?: { warn(details: object, message: string): void }
}

const SNAPSHOT_TIMEOUT_MS = 10_000

interface SymbolState {
  book: BinanceBookSync
  /** Waiting for a snapshot, or one is on its way: diff events keep buffering meanwhile. */
  needsSnapshot: boolean
}

/** What one snapshot request came to: applied, or wait this long and ask again. */
type SnapshotOutcome = { applied: true } | { applied: false; reason: string | null; retryInMs: number }

/**
 * Binance spot: combined streams (the URL subscribes), trades mapped one to one, and a local order book per
 * symbol kept in sync from REST snapshots plus diff events (core/order-book.ts), published as its top 20.
 * Snapshots are fetched by the connection's own per-connection work (`afterConnect`): one loop per
 * connection, ended with it, so a snapshot fetched for an older connection is never applied.
 */
export function binanceSession(options: BinanceOptions, sink: FeedSink): ExchangeSession {
  const retryDelayMs = options.retryDelayMs ?? 1_000
  const limit = options.snapshotLimit ?? 5_000
  const states = new Map<string, SymbolState>()
  /** Wakes the snapshot loop when a symbol starts needing a snapshot. */
  let wake: () => void = () => undefined

  const stateOf = (symbol: string): SymbolState => {
    let state = states.get(symbol)
    if (!state) {
      state = { book: new BinanceBookSync(), needsSnapshot: false }
      states.set(symbol, state)
    }
    return state
  }
  const publisher = new BookPublisher({
    exchange: BINANCE,
    intervalMs: options.depthIntervalMs,
    sink,
    book: (symbol) => states.get(symbol)?.book,
    exchangeTs: (book) => book.lastEventTs
  })

  const requestSnapshot = (state: SymbolState): void => {
    if (state.needsSnapshot) return
    state.needsSnapshot = true
    wake()
  }

  /** One REST snapshot for `symbol`, applied to its book if this connection is still the current one. */
  const fetchSnapshot = async (
    symbol: string,
    state: SymbolState,
    connection: SessionConnection
  ): Promise<SnapshotOutcome> => {
    // A hung request must not leave the symbol unsynced until the next reconnect.
    const response = await fetch(`${options.restUrl}/api/v3/depth?symbol=${symbol}&limit=${limit}`, {
      signal: AbortSignal.any([connection.signal, AbortSignal.timeout(SNAPSHOT_TIMEOUT_MS)])
    })
    const text = await response.text()
    if (response.status === 429 || response.status === 418) {
      // Rate limited (418: banned for ignoring 429s): wait as long as Binance says, never less.
      const waitMs = Math.max(retryDelayMs, retryAfterMs(response.headers))
      return { applied: false, reason: `HTTP ${response.status} (rate limited)`, retryInMs: waitMs }
    }
    if (!response.ok)
      return {
        applied: false,
        reason: `HTTP ${response.status} ${text.slice(0, 200)}`,
        retryInMs: retryDelayMs
      }
    const snapshot = parseBinanceSnapshot(parseLossless(text, null, (literal: string) => literal))
    if (!snapshot.ok) return { applied: false, reason: snapshot.reason, retryInMs: retryDelayMs }
    if (connection.signal.aborted) return { applied: false, reason: null, retryInMs: 0 }
    const result = state.book.snapshot(snapshot.value)
    if (result === 'applied') return { applied: true }
    // 'refetch': older than the buffered events; 'gap': a hole among them. Either way: a newer snapshot.
    return { applied: false, reason: null, retryInMs: result === 'refetch' ? Math.min(retryDelayMs, 100) : 0 }
  }

  /** Fetches snapshots until the symbol's book is synced or the connection ends. */
  const syncBook = async (
    symbol: string,
    state: SymbolState,
    connection: SessionConnection
  ): Promise<void> => {
    while (!connection.signal.aborted) {
      const outcome = await fetchSnapshot(symbol, state, connection).catch(
        (error: Error): SnapshotOutcome => ({
          applied: false,
          reason: error.message,
          retryInMs: retryDelayMs
        })
      )
      if (connection.signal.aborted) return
      if (outcome.applied) {
        state.needsSnapshot = false
        return publisher.now(symbol, Date.now(), connection.signal) // the first book right after each sync
      }
      if (outcome.reason !== null)
        options.log?.warn(
          { symbol, reason: `depth snapshot: ${outcome.reason}`, retryInMs: outcome.retryInMs },
          'depth snapshot failed, retrying'
        )
      if (outcome.retryInMs > 0)
        await sleep(outcome.retryInMs, undefined, { signal: connection.signal }).catch(() => undefined)
    }
  }

  return {
    url: `${options.url}/stream?streams=${binanceStreams(options.symbols).join('/')}`,
    subscribeMessages: () => [],
    onConnect() {
      publisher.reset()
      for (const state of states.values()) {
        state.book.reset()
        state.needsSnapshot = false
      }
    },
    async afterConnect(shouldCancel, connection) {
      while (!shouldCancel()) {
        const next = [...states].find(([, state]) => state.needsSnapshot)
        if (next) {
          await syncBook(next[0], next[1], connection)
          continue
        }
        await new Promise<void>((resolve) => {
          wake = resolve
          connection.signal.addEventListener('abort', () => resolve(), { once: true })
        })
      }
    },
    onFrame(text, recvTs, connection) {
      const frame = parseFrame(text, sink)
      if (!frame) return
      const unwrapped = unwrapBinanceFrame(frame.value)
      if (!unwrapped) return sink.rejected(text, 'not a combined-stream event')
      const stream = parseBinanceStream(unwrapped.stream)
      if (!stream) return sink.rejected(text, `unknown stream ${JSON.stringify(unwrapped.stream)}`)
      if (stream.kind === 'trade') {
        const mapped = mapBinanceTrade(unwrapped.data, recvTs)
        if (mapped.ok) sink.message(mapped.value)
        else sink.rejected(text, mapped.reason)
        return
      }
      const update = parseBinanceDepthUpdate(unwrapped.data)
      if (!update.ok) return sink.rejected(text, update.reason)
      const symbol = update.value.symbol
      const state = stateOf(symbol)
      const result = state.book.event(update.value)
      if (result === 'ok') publisher.maybe(symbol, recvTs, connection.signal)
      else if (result === 'buffered' || result === 'gap') requestSnapshot(state)
    }
  }
}

/** Trades page of the REST history; Binance allows up to 1000 per request (weight 25). */
const HISTORY_PAGE = 1_000

/**
 * Binance trade ids are sequential per symbol: gaps are filled from `GET /api/v3/historicalTrades?symbol=
 * &fromId=&limit=1000` (public, no API key: security type NONE), which returns trades from `fromId` on,
 * oldest first.
 */
export function binanceTradeHistory(options: { restUrl: string }): TradeHistory {
  return {
    idRange(trade) {
      const id = sequentialId(trade.id)
      return id === null ? null : { first: id, last: id }
    },
    async page(symbol, after, signal) {
      const response = await fetch(
        `${options.restUrl}/api/v3/historicalTrades?symbol=${symbol}&fromId=${after.id + 1n}&limit=${HISTORY_PAGE}`,
        { signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]) }
      )
      const text = await response.text()
      if (response.status === 429 || response.status === 418)
        throw new RateLimited(
          retryAfterMs(response.headers),
          `trade history: HTTP ${response.status} (rate limited)`
        )
      if (!response.ok) throw new Error(`trade history: HTTP ${response.status} ${text.slice(0, 200)}`)
      const rows: unknown = parseLossless(text, null, (literal: string) => literal)
      if (!Array.isArray(rows)) throw new Error('trade history: the answer is not an array')
      const now = Date.now()
      return rows.map((row) => {
        const mapped = mapBinanceHistoricalTrade(symbol, row, now)
        if (!mapped.ok) throw new Error(`trade history: ${mapped.reason}`)
        return mapped.value
      })
    }
  }
}
