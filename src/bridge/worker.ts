import type { Logger } from 'pino'
import { PressureStates, type BackpressurePolicy, type PressureState } from '../core/backpressure.ts'
import { OffsetTracker } from '../core/offset-tracker.ts'
import { settleWithin } from '../settle-within.ts'
import { rowFor, TableNames } from '../core/rows.ts'
import { scanTrade, TradeSpans } from '../core/trade-fast-path.ts'
import { parseMessage } from '../core/validate.ts'
import type { Batch } from './batch.ts'
import { BatchLanes, type Lane } from './batch-lanes.ts'
import { BatchWriter } from './batch-writer.ts'
import { DLQ_LANE, WriteRetry } from './write-retry.ts'
import type { CandleSink, DeadLetterSink, MessageSource, RowSink, SourceMessage } from './ports.ts'
import { OffsetCommitter } from './offset-committer.ts'
import { BridgeStats } from './stats.ts'

export interface WorkerOptions {
  instanceId: string
  batchMaxRows: number
  batchMaxAgeMs: number
  /**
   * How many times longer than batchMaxAgeMs a batch may wait (≥ 1; read when a batch opens). The bridge passes
   * the inverse of its share of the partitions, so a cluster of N bridges makes as many inserts per table per
   * second as one bridge would, each N times larger (fewer parts, less merging), whatever N is.
   */
  batchAgeScale?: () => number
  /**
   * A batch of at least this many messages is due after batchMaxAgeMs, unscaled (0 or unset: never early). A
   * busy bridge then inserts every batchMaxAgeMs instead of every batchMaxAgeMs × scale, while the cluster makes
   * at most max(one bridge's cadence, rate / batchEarlyRows) inserts per table per second: it still does not
   * grow with the number of bridges.
   */
  batchEarlyRows?: number
  /** Inserts in flight per table while the next batch fills. */
  maxInflightPerLane: number
  insertRetryMaxDelayMs: number
}

export interface WorkerDeps {
  source: MessageSource
  sink: RowSink
  deadLetters: DeadLetterSink
  /** Recomputes candles from inserted trades; omitted = no candles from trades. */
  candles?: CandleSink
  policy: BackpressurePolicy
  log: Logger
  options: WorkerOptions
  /** A write failed in a way retrying cannot fix: the owner stops the process (non-zero exit). */
  onFatal?: (error: Error) => void
}

/**
 * The bridge: reads messages, validates them, batches rows per table, has each due batch written (BatchWriter:
 * insert, store, candles), and commits each partition only up to what ClickHouse (or the dead-letter topic)
 * acknowledged. Backpressure pauses the source when too many messages are held. IO is injected
 * (MessageSource, RowSink, DeadLetterSink), so this is unit-testable.
 */
export class BridgeWorker {
  readonly stats = new BridgeStats()
  readonly #deps: WorkerDeps
  readonly #tracker = new OffsetTracker()
  readonly #lanes: BatchLanes
  /** Scratch for the trade fast path, reused for every message. */
  readonly #spans = new TradeSpans()
  readonly #idle = new Set<() => void>()
  #buffered = 0
  /** Batches flushed but not yet settled (rows written and stored, and, for trades, candles recomputed). */
  #unsettled = 0
  /** Batches given up at shutdown: not written, not committed (they are re-delivered to the next owner). */
  #abandoned = 0
  #pressure: PressureState = PressureStates.FLOWING
  readonly #committer: OffsetCommitter
  readonly #writes: WriteRetry
  readonly #writer: BatchWriter
  #stopping = false

  constructor(deps: WorkerDeps) {
    this.#deps = deps
    const { batchMaxRows, batchMaxAgeMs, batchEarlyRows = 0, batchAgeScale } = deps.options
    this.#lanes = new BatchLanes({
      rules: { maxRows: batchMaxRows, maxAgeMs: batchMaxAgeMs, earlyRows: batchEarlyRows },
      ...(batchAgeScale ? { ageScale: batchAgeScale } : {}),
      startBatch: () => this.#tracker.startBatch(),
      onDue: (lane) => this.#flush(lane),
      fetchLandingBefore: (dueAt) => deps.source.fetchLandingBefore?.(dueAt) ?? false
    })
    this.#writes = new WriteRetry({
      log: deps.log,
      maxDelayMs: deps.options.insertRetryMaxDelayMs,
      onError: () => this.stats.error(),
      onFatal: (error) => deps.onFatal?.(error),
      stopping: () => this.#stopping
    })
    this.#writer = new BatchWriter({
      sink: deps.sink,
      deadLetters: deps.deadLetters,
      ...(deps.candles ? { candles: deps.candles } : {}),
      writes: this.#writes,
      stats: this.stats,
      log: deps.log
    })
    this.#committer = new OffsetCommitter(
      this.#tracker,
      deps.source,
      deps.log,
      (n) => this.stats.committed(n),
      (error) => deps.onFatal?.(error)
    )
  }

  get buffered(): number {
    return this.#buffered
  }

  /** Since when writes have been failing in a row (ClickHouse or the DLQ unreachable); null when they succeed. */
  get writesFailingSince(): number | null {
    return this.#writes.failingSince
  }

  /** Since when the oldest row insert still under way has been running (retries included); null when none is. */
  get oldestInsertSince(): number | null {
    return this.#writes.oldestInsertSince
  }

  get pressure(): PressureState {
    return this.#pressure
  }

  async start(): Promise<void> {
    await this.#deps.source.start((message) => this.handle(message))
    this.#committer.startRefresh()
  }

  handle(source: SourceMessage): void {
    const value = source.value
    let lane: Lane
    let batch: Batch
    // Each add records the message's offset in the batch's offsets, held by the tracker until the batch settles.
    if (value && scanTrade(value, Date.now(), this.#spans)) {
      // The hot path: a canonical trade, checked and copied on its bytes (core/trade-fast-path.ts).
      lane = this.#lanes.get(TableNames.trade)
      batch = this.#lanes.openBatch(lane)
      batch.addTrade(value, this.#spans, source)
      this.stats.received('trade')
    } else {
      const parsed = parseMessage(value)
      if (parsed.ok) {
        const { table, line } = rowFor(parsed.message)
        lane = this.#lanes.get(table)
        batch = this.#lanes.openBatch(lane)
        batch.addRow(line, source, parsed.message)
        this.stats.received(parsed.message.type)
      } else {
        lane = this.#lanes.get(DLQ_LANE)
        batch = this.#lanes.openBatch(lane)
        batch.addLetter({ reason: parsed.reason, source })
        this.stats.received('invalid')
      }
    }
    this.#buffered++
    this.#updatePressure()
    if (this.#lanes.filledUp(lane, batch)) this.#flush(lane)
  }

  /** Stop reading, flush and insert what is held, commit, and close the source. */
  async stop(timeoutMs: number): Promise<boolean> {
    this.#stopping = true
    this.#committer.stopRetrying()
    // Nothing held should wait for a flush or recompute interval now.
    this.#deps.sink.buffer?.hurry()
    this.#deps.candles?.hurry?.()
    this.#deps.source.pause()
    for (const lane of this.#lanes.all()) this.#flush(lane, true)
    const drained = await settleWithin(this.#whenIdle(), timeoutMs)
    await this.#committer.commit()
    await this.#deps.source.close()
    return drained && this.#abandoned === 0
  }

  #flush(lane: Lane, force = false): void {
    if (!force && lane.inflight >= this.#deps.options.maxInflightPerLane) return // flushed when one completes
    const batch = this.#lanes.take(lane)
    if (!batch) return
    lane.inflight++
    this.#unsettled++
    void this.#writer
      .write(lane.name, batch, () => this.#written(lane, batch))
      .then(
        () => {
          this.#tracker.settle(batch.id)
          void this.#committer.commit()
        },
        (error: unknown) => {
          // Reached when stopping gave up, or on a permanent failure: the batch stays held, never committed.
          this.#abandoned++
          this.#deps.log.error(
            { err: error, lane: lane.name, rows: batch.size },
            'batch abandoned: not written, not committed (re-delivered to the next owner)'
          )
        }
      )
      .finally(() => {
        this.#unsettled--
        this.#checkIdle()
      })
  }

  /** The batch's rows are written (or given up): free its lane slot and its share of the buffer. */
  #written(lane: Lane, batch: Batch): void {
    lane.inflight--
    this.#buffered -= batch.size
    this.#updatePressure()
    const next = lane.open
    if (next && this.#lanes.isDue(lane, next)) this.#flush(lane)
  }

  /** Epoch ms when the earliest open batch is due by age; null when none is open (bridge/fetch-pace.ts). */
  nextDueAt(): number | null {
    return this.#lanes.nextDueAt()
  }

  /** A fetch timed to land just before its batch is due has landed: flush the batches due within `withinMs`. */
  flushDueWithin(withinMs: number): void {
    for (const lane of this.#lanes.dueWithin(withinMs)) this.#flush(lane)
  }

  /** Re-applies the policy now (the hub's cluster decision changed); `cause` explains it in the log. */
  reconsiderPressure(cause?: string): void {
    this.#updatePressure(cause)
  }

  #updatePressure(cause?: string): void {
    if (this.#stopping) return
    const next = this.#deps.policy.decide(this.#buffered)
    if (next === this.#pressure) return
    this.#pressure = next
    const { instanceId } = this.#deps.options
    const why = cause ? ` (${cause})` : ''
    if (next === PressureStates.PAUSED) {
      this.#deps.source.pause()
      this.stats.backpressure()
      this.#deps.log.warn(
        { instanceId, buffered: this.#buffered, cause },
        `BACKPRESSURE ACTIVE on ${instanceId}: paused fetching${why}`
      )
    } else {
      this.#deps.source.resume()
      this.#deps.log.info(
        { instanceId, buffered: this.#buffered, cause },
        `BACKPRESSURE RELEASED on ${instanceId}: resumed fetching${why}`
      )
    }
  }

  #whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idle.add(resolve)
      this.#checkIdle()
    })
  }

  #checkIdle(): void {
    if (this.#unsettled > 0 || this.#lanes.holdsMessages()) return
    for (const resolve of this.#idle) resolve()
    this.#idle.clear()
  }
}
