import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import type { TradeMessage } from '../core/messages.ts'
import { missingIds, TradeGaps, type TradeGap } from '../core/trade-gaps.ts'
import { RateLimited, type TradeHistory } from './trade-history.ts'

export interface BackfillOptions {
  /** The most trades fetched for one gap; ids beyond are counted as unfilled (a feed down for hours). */
  maxTradesPerGap: number
  /** Failed requests in a row (not counting rate limits) before a gap is given up. */
  attempts: number
  /** Wait after the first failed request, doubling after each next one, at most 30 s. */
  retryDelayMs: number
}

export const defaultBackfillOptions: BackfillOptions = {
  maxTradesPerGap: 100_000,
  attempts: 6,
  retryDelayMs: 1_000
}

/** What the backfiller did so far: shown in heartbeats, metrics and on the dashboard. */
export interface BackfillStats {
  /** Gaps noticed in the live trade ids. */
  gaps: number
  /** Trades fetched over REST and produced, flagged backfill. */
  backfilled: number
  /** Gaps (or parts of gaps) that could not be fetched, and the trade ids they left missing. */
  unfilledGaps: number
  unfilledTrades: number
  /** Gaps waiting or being fetched. */
  pending: number
}

interface PendingGap extends TradeGap {
  /** Ids inside the gap that arrived live meanwhile (late or re-sent): no need to produce them again. */
  seen: Set<bigint>
}

/**
 * Fills gaps in a feed's live trades from the exchange's REST trade history, one gap at a time (rate limits
 * are per IP): pages from the last trade seen before the gap until its end, produces each missing trade
 * flagged `backfill: true`, waits out 429s as long as the exchange asks, retries failures with backoff, and
 * reports what it could not fetch as a `GAP` (logged, counted, in heartbeats). Duplicates are harmless
 * downstream (trades deduplicate by id) but avoided: ids that arrive live during the backfill are skipped.
 */
export class Backfiller {
  readonly stats: BackfillStats = { gaps: 0, backfilled: 0, unfilledGaps: 0, unfilledTrades: 0, pending: 0 }
  readonly #exchange: string
  readonly #history: TradeHistory
  readonly #publish: (trade: TradeMessage) => void
  readonly #log: Logger
  readonly #options: BackfillOptions
  readonly #queue: PendingGap[] = []
  readonly #stopped = new AbortController()
  readonly #gaps = new TradeGaps()
  #running: Promise<void> | null = null

  constructor(
    exchange: string,
    history: TradeHistory,
    publish: (trade: TradeMessage) => void,
    log: Logger,
    options: Partial<BackfillOptions> = {}
  ) {
    this.#exchange = exchange
    this.#history = history
    this.#publish = publish
    this.#log = log
    this.#options = { ...defaultBackfillOptions, ...options }
  }

  /** Every live trade passes here: a jump in its symbol's ids queues a backfill of what was skipped. */
  observe(trade: TradeMessage): void {
    const range = this.#history.idRange(trade)
    if (!range) return
    this.live(trade.symbol, range)
    const gap = this.#gaps.observe(trade.symbol, range, trade.ts)
    if (gap) this.enqueue(gap)
  }

  /** A gap the live stream revealed: fetched after the ones before it. */
  enqueue(gap: TradeGap): void {
    if (this.#stopped.signal.aborted) return
    this.stats.gaps++
    this.stats.pending++
    this.#queue.push({ ...gap, seen: new Set() })
    this.#log.info(
      {
        symbol: gap.symbol,
        after: String(gap.after.id),
        before: String(gap.before),
        missing: String(missingIds(gap))
      },
      'trade ids skipped: fetching the missing trades over REST'
    )
    this.#running ??= this.#drain().finally(() => (this.#running = null))
  }

  /** A live trade: if it falls inside a pending gap, it needs no fetching. */
  live(symbol: string, range: { first: bigint; last: bigint }): void {
    for (const gap of this.#queue) {
      if (gap.symbol !== symbol || range.last <= gap.after.id || range.first >= gap.before) continue
      for (let id = range.first; id <= range.last; id++) gap.seen.add(id)
    }
  }

  /** Resolves when no gap is waiting (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running
  }

  stop(): void {
    this.#stopped.abort()
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0 && !this.#stopped.signal.aborted) {
      const gap = this.#queue[0]!
      await this.#fill(gap)
      this.#queue.shift()
      this.stats.pending--
    }
  }

  async #fill(gap: PendingGap): Promise<void> {
    const signal = this.#stopped.signal
    const missing = missingIds(gap)
    const lastWanted =
      missing > BigInt(this.#options.maxTradesPerGap)
        ? gap.after.id + BigInt(this.#options.maxTradesPerGap)
        : gap.before - 1n
    let cursor = gap.after
    let produced = 0
    let failures = 0
    let reason = ''
    while (cursor.id < lastWanted && !signal.aborted) {
      let page: TradeMessage[]
      try {
        page = await this.#history.page(gap.symbol, cursor, signal)
        failures = 0
      } catch (error) {
        if (signal.aborted) return
        if (error instanceof RateLimited) {
          this.#log.warn(
            { symbol: gap.symbol, retryInMs: error.retryAfterMs },
            'trade history rate limited; waiting as asked'
          )
          await sleep(error.retryAfterMs, undefined, { signal }).catch(() => undefined)
          continue
        }
        reason = (error as Error).message
        if (++failures >= this.#options.attempts) break
        const waitMs = Math.min(30_000, this.#options.retryDelayMs * 2 ** (failures - 1))
        this.#log.warn(
          { err: error, symbol: gap.symbol, retryInMs: waitMs },
          'trade history request failed; retrying'
        )
        await sleep(waitMs, undefined, { signal }).catch(() => undefined)
        continue
      }
      const before = cursor.id
      for (const trade of page) {
        const range = this.#history.idRange(trade)
        if (!range || range.last <= cursor.id) continue
        if (range.first > lastWanted) break
        if (!gap.seen.has(range.last)) {
          this.#publish({ ...trade, backfill: true })
          produced++
        }
        cursor = { id: range.last, ts: trade.ts }
      }
      if (cursor.id === before) {
        reason = 'the exchange returned no newer trades'
        break
      }
    }
    if (signal.aborted) return
    this.stats.backfilled += produced
    const unfilled = gap.before - 1n - (cursor.id > gap.before - 1n ? gap.before - 1n : cursor.id)
    const filledTo = `ids ${gap.after.id + 1n}..${gap.before - 1n}`
    if (unfilled === 0n) {
      this.#log.info(
        { symbol: gap.symbol, backfilled: produced, live: gap.seen.size },
        `backfilled ${gap.symbol} ${filledTo}`
      )
      return
    }
    this.stats.unfilledGaps++
    this.stats.unfilledTrades += Number(unfilled)
    if (!reason) reason = `more than ${this.#options.maxTradesPerGap} trades missing`
    this.#log.warn(
      { symbol: gap.symbol, unfilled: String(unfilled), backfilled: produced, reason },
      `GAP ${this.#exchange} ${gap.symbol}: ${unfilled} of the trades ${filledTo} could not be fetched (${reason})`
    )
  }
}
