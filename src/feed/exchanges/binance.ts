import { parse as parseLossless } from 'lossless-json'
import {
  BINANCE,
  binanceStreams,
  mapBinanceTrade,
  parseBinanceDepthUpdate,
  parseBinanceSnapshot,
  parseBinanceStream,
  unwrapBinanceFrame
} from '../../core/mappers/binance.ts'
import { BinanceBookSync } from '../../core/order-book.ts'
import type { ExchangeSession } from '../connection.ts'
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
  /** Aborted when the feed stops: no more snapshot requests, retries or depth messages after that. */
  signal?: AbortSignal
}

const LEVELS = 20

interface SymbolState {
  book: BinanceBookSync
  fetching: boolean
  lastEmit: number
  trailing: NodeJS.Timeout | null
}

/**
 * Binance spot: combined streams (the URL subscribes), trades mapped one to one, and a local order book per
 * symbol kept in sync from REST snapshots plus diff events (core/order-book.ts), published as its top 20.
 */
export function binanceSession(options: BinanceOptions, sink: FeedSink): ExchangeSession {
  const retryDelayMs = options.retryDelayMs ?? 1_000
  const limit = options.snapshotLimit ?? 5_000
  const states = new Map<string, SymbolState>()
  /** Bumped on every new connection: snapshots fetched for an older connection are ignored. */
  let generation = 0
  const stopped = () => options.signal?.aborted === true
  const clearTrailing = (state: SymbolState) => {
    if (state.trailing) clearTimeout(state.trailing)
    state.trailing = null
  }
  options.signal?.addEventListener('abort', () => {
    generation++
    for (const state of states.values()) clearTrailing(state)
  })

  const stateOf = (symbol: string): SymbolState => {
    let state = states.get(symbol)
    if (!state) {
      state = {
        book: new BinanceBookSync(),
        fetching: false,
        lastEmit: Number.NEGATIVE_INFINITY,
        trailing: null
      }
      states.set(symbol, state)
    }
    return state
  }

  const emit = (symbol: string, state: SymbolState, now: number): void => {
    clearTrailing(state)
    if (!state.book.synced || stopped()) return
    state.lastEmit = now
    const { bids, asks } = state.book.top(LEVELS)
    const ts = state.book.lastEventTs ?? now
    sink.message({ v: 1, type: 'depth', exchange: BINANCE, symbol, ts, bids, asks, recv_ts: now })
  }

  /** Throttled: at once if the interval has passed, else once at its end (the latest book gets out). */
  const maybeEmit = (symbol: string, state: SymbolState, now: number): void => {
    const wait = state.lastEmit + options.depthIntervalMs - now
    if (wait <= 0) return emit(symbol, state, now)
    if (!state.trailing) {
      const mine = generation
      state.trailing = setTimeout(() => {
        state.trailing = null
        if (mine === generation) emit(symbol, state, Date.now())
      }, wait).unref()
    }
  }

  const SNAPSHOT_TIMEOUT_MS = 10_000
  const fetchSnapshot = (symbol: string, state: SymbolState, delayMs = 0): void => {
    state.fetching = true
    const mine = generation
    const retry = (reason: string, waitMs = retryDelayMs) => {
      if (mine !== generation || stopped()) return
      options.log?.warn({ symbol, reason, retryInMs: waitMs }, 'depth snapshot failed, retrying')
      fetchSnapshot(symbol, state, waitMs)
    }
    const run = async () => {
      if (mine !== generation || stopped()) return
      // A hung request must not leave the symbol unsynced until the next reconnect.
      const timeout = AbortSignal.timeout(SNAPSHOT_TIMEOUT_MS)
      const response = await fetch(`${options.restUrl}/api/v3/depth?symbol=${symbol}&limit=${limit}`, {
        signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
      })
      const text = await response.text()
      if (mine !== generation || stopped()) return
      if (response.status === 429 || response.status === 418) {
        // Rate limited (418: banned for ignoring 429s): wait as long as Binance says, never less.
        const header = response.headers.get('retry-after')
        const retryAfterS = header === null ? Number.NaN : Number(header)
        const waitMs = Math.max(retryDelayMs, Number.isFinite(retryAfterS) ? retryAfterS * 1000 : 60_000)
        return retry(`depth snapshot: HTTP ${response.status} (rate limited)`, waitMs)
      }
      if (!response.ok) return retry(`depth snapshot: HTTP ${response.status} ${text.slice(0, 200)}`)
      const snapshot = parseBinanceSnapshot(parseLossless(text, null, (literal: string) => literal))
      if (!snapshot.ok) return retry(`depth snapshot: ${snapshot.reason}`)
      const result = state.book.snapshot(snapshot.value)
      if (result === 'applied') {
        state.fetching = false
        return emit(symbol, state, Date.now()) // the first book right after each sync
      }
      // 'refetch': older than the buffered events; 'gap': a hole among them. Either way: a newer snapshot.
      fetchSnapshot(symbol, state, result === 'refetch' ? Math.min(retryDelayMs, 100) : 0)
    }
    const start = () => void run().catch((error: Error) => retry(`depth snapshot: ${error.message}`))
    if (delayMs > 0) setTimeout(start, delayMs).unref()
    else start()
  }

  return {
    url: `${options.url}/stream?streams=${binanceStreams(options.symbols).join('/')}`,
    subscribeMessages: () => [],
    onConnect() {
      generation++
      for (const state of states.values()) {
        state.book.reset()
        state.fetching = false
        clearTrailing(state)
        state.lastEmit = Number.NEGATIVE_INFINITY
      }
    },
    onFrame(text, recvTs) {
      const frame = parseFrame(text, sink)
      if (!frame) return undefined
      const unwrapped = unwrapBinanceFrame(frame.value)
      if (!unwrapped) return sink.rejected(text, 'not a combined-stream event')
      const stream = parseBinanceStream(unwrapped.stream)
      if (!stream) return sink.rejected(text, `unknown stream ${JSON.stringify(unwrapped.stream)}`)
      if (stream.kind === 'trade') {
        const mapped = mapBinanceTrade(unwrapped.data, recvTs)
        if (mapped.ok) sink.message(mapped.value)
        else sink.rejected(text, mapped.reason)
        return undefined
      }
      const update = parseBinanceDepthUpdate(unwrapped.data)
      if (!update.ok) return sink.rejected(text, update.reason)
      const symbol = update.value.symbol
      const state = stateOf(symbol)
      const result = state.book.event(update.value)
      if (result === 'ok') maybeEmit(symbol, state, recvTs)
      else if ((result === 'buffered' || result === 'gap') && !state.fetching) fetchSnapshot(symbol, state)
      return undefined
    }
  }
}
