import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { PressureStates, type BackpressurePolicy, type PressureState } from '../core/backpressure.ts'
import { OffsetTracker } from '../core/offset-tracker.ts'
import { rowFor, tableNames, TableNames, type TableName } from '../core/rows.ts'
import { scanTrade, TradeSpans } from '../core/trade-fast-path.ts'
import { parseMessage } from '../core/validate.ts'
import { Batch } from './batch.ts'
import {
  CANDLE_WRITE,
  DEAD_LETTER_WRITE,
  DLQ_LANE,
  insertWrite,
  persistWrite,
  WriteRetry
} from './write-retry.ts'
import type {
  CandleSink,
  DeadLetterSink,
  MessageSource,
  PersistResult,
  RowSink,
  SourceMessage,
  WriteBuffer
} from './ports.ts'
import { OffsetCommitter } from './offset-committer.ts'
import { BridgeStats } from './stats.ts'
import {
  deadlinesFor,
  isDue,
  nextCheckAt,
  type BatchDeadlines,
  type BatchRules
} from '../core/batch-schedule.ts'

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

type LaneName = TableName | typeof DLQ_LANE

interface Lane {
  name: LaneName
  open: Batch | null
  timer: NodeJS.Timeout | null
  /** When the open batch is due (core/batch-schedule.ts). */
  deadlines: BatchDeadlines
  inflight: number
}

/**
 * The bridge: reads messages, validates them, batches rows per table, inserts, and commits each partition only
 * up to what ClickHouse (or the dead-letter topic) acknowledged. Backpressure pauses the source when too many
 * messages are held. IO is injected (MessageSource, RowSink, DeadLetterSink), so this is unit-testable.
 */
export class BridgeWorker {
  readonly stats = new BridgeStats()
  readonly #deps: WorkerDeps
  readonly #tracker = new OffsetTracker()
  readonly #lanes = new Map<LaneName, Lane>()
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
  readonly #rules: BatchRules
  #stopping = false

  constructor(deps: WorkerDeps) {
    this.#deps = deps
    const { batchMaxRows, batchMaxAgeMs, batchEarlyRows = 0 } = deps.options
    this.#rules = { maxRows: batchMaxRows, maxAgeMs: batchMaxAgeMs, earlyRows: batchEarlyRows }
    this.#writes = new WriteRetry({
      log: deps.log,
      maxDelayMs: deps.options.insertRetryMaxDelayMs,
      onError: () => this.stats.error(),
      onFatal: (error) => deps.onFatal?.(error),
      stopping: () => this.#stopping
    })
    this.#committer = new OffsetCommitter(
      this.#tracker,
      deps.source,
      deps.log,
      (n) => this.stats.committed(n),
      (error) => deps.onFatal?.(error)
    )
    for (const name of [...tableNames, DLQ_LANE] as LaneName[]) {
      this.#lanes.set(name, {
        name,
        open: null,
        timer: null,
        deadlines: { dueAt: 0, earlyAt: 0 },
        inflight: 0
      })
    }
  }

  get buffered(): number {
    return this.#buffered
  }

  /** Since when writes have been failing in a row (ClickHouse or the DLQ unreachable); null when they succeed. */
  get writesFailingSince(): number | null {
    return this.#writes.failingSince
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
      lane = this.#lane(TableNames.trade)
      batch = this.#openBatch(lane)
      batch.addTrade(value, this.#spans, source)
      this.stats.received('trade')
    } else {
      const parsed = parseMessage(value)
      if (parsed.ok) {
        const { table, line } = rowFor(parsed.message)
        lane = this.#lane(table)
        batch = this.#openBatch(lane)
        batch.addRow(line, source, parsed.message)
        this.stats.received(parsed.message.type)
      } else {
        lane = this.#lane(DLQ_LANE)
        batch = this.#openBatch(lane)
        batch.addLetter({ reason: parsed.reason, source })
        this.stats.received('invalid')
      }
    }
    this.#buffered++
    this.#updatePressure()
    const { maxRows, earlyRows } = this.#rules
    if (batch.size >= maxRows || (batch.size === earlyRows && Date.now() >= lane.deadlines.earlyAt)) {
      this.#flush(lane)
    }
  }

  /** Stop reading, flush and insert what is held, commit, and close the source. */
  async stop(timeoutMs: number): Promise<boolean> {
    this.#stopping = true
    this.#committer.stopRetrying()
    // Nothing held should wait for a flush or recompute interval now.
    this.#deps.sink.buffer?.hurry()
    this.#deps.candles?.hurry?.()
    this.#deps.source.pause()
    for (const lane of this.#lanes.values()) this.#flush(lane, true)
    // The timeout's timer is cancelled once drained, or it would keep the process alive for the whole timeout.
    const timeout = new AbortController()
    const drained = await Promise.race([
      this.#whenIdle().then(() => true),
      sleep(timeoutMs, false, { signal: timeout.signal }).catch(() => false)
    ])
    timeout.abort()
    await this.#committer.commit()
    await this.#deps.source.close()
    return drained && this.#abandoned === 0
  }

  #lane(name: LaneName): Lane {
    return this.#lanes.get(name) as Lane
  }

  /** The lane's open batch; a new one (its offsets held by the tracker) when none is open. */
  #openBatch(lane: Lane): Batch {
    if (lane.open) return lane.open
    const batch = new Batch(this.#tracker.startBatch())
    lane.open = batch
    lane.deadlines = deadlinesFor(Date.now(), this.#rules, this.#deps.options.batchAgeScale?.() ?? 1)
    this.#arm(lane, batch, nextCheckAt(lane.deadlines))
    return batch
  }

  /** Looks at the open batch at `at`: flushed if due then, else looked at again at its age bound. */
  #arm(lane: Lane, batch: Batch, at: number): void {
    lane.timer = setTimeout(
      () => {
        if (lane.open !== batch) return
        if (this.#due(lane, batch)) this.#flush(lane)
        else this.#arm(lane, batch, lane.deadlines.dueAt)
      },
      Math.max(0, at - Date.now())
    )
  }

  /** The open batch is due: full, as old as its age bound, or large enough and as old as the unscaled age. */
  #due(lane: Lane, batch: Batch): boolean {
    return isDue(batch.size, Date.now(), lane.deadlines, this.#rules)
  }

  #flush(lane: Lane, force = false): void {
    const batch = lane.open
    if (!batch || batch.size === 0) return
    if (!force && lane.inflight >= this.#deps.options.maxInflightPerLane) return // flushed when one completes
    lane.open = null
    if (lane.timer) clearTimeout(lane.timer)
    lane.timer = null
    lane.inflight++
    this.#unsettled++
    void this.#deliver(lane, batch)
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

  async #deliver(lane: Lane, batch: Batch): Promise<void> {
    if (lane.name === DLQ_LANE) {
      try {
        await this.#writes.run(DEAD_LETTER_WRITE, () => this.#deps.deadLetters.send(batch.letters))
        this.stats.deadLettered(batch.letters.length)
      } finally {
        this.#written(lane, batch)
      }
      return
    }
    const table = lane.name
    const buffer = this.#bufferFor(table)
    const epoch = buffer?.epoch() ?? 0
    try {
      await this.#insert(table, batch)
    } finally {
      this.#written(lane, batch)
    }
    if (buffer) await this.#persist(buffer, table, batch, epoch)
    batch.releaseRows()
    const { candles } = this.#deps
    if (candles && batch.candleScopes.size > 0) {
      // The batch settles only after the candles are recomputed, so a crash here re-delivers the trades.
      // The rows themselves are written: they no longer count against the buffer or the lane.
      const scopes = [...batch.candleScopes.values()]
      await this.#writes.run(CANDLE_WRITE, () => candles.refresh(scopes))
    }
  }

  /**
   * The rows are in ClickHouse's write buffer (queryable): wait for a flush to store them. A server that
   * restarted in between lost them: insert them again, until a flush stores them.
   */
  async #persist(buffer: WriteBuffer, table: TableName, batch: Batch, epoch: number): Promise<void> {
    for (;;) {
      let result = 'lost' as PersistResult
      await this.#writes.run(persistWrite(table), async () => {
        result = await buffer.persist(table, epoch)
      })
      if (result === 'stored') return
      this.stats.reinserted(batch.size)
      this.#deps.log.warn(
        { table, rows: batch.size },
        'ClickHouse restarted before these rows left its write buffer: inserting them again'
      )
      epoch = buffer.epoch()
      await this.#insert(table, batch)
    }
  }

  /** The write buffer inserts into `table` land in, if any. */
  #bufferFor(table: TableName): WriteBuffer | undefined {
    const { buffer } = this.#deps.sink
    return buffer?.holds(table) ? buffer : undefined
  }

  /** Insert; a batch the server rejects for its data is split until the rejected rows are isolated. */
  async #insert(table: TableName, batch: Batch): Promise<void> {
    const started = performance.now()
    const flushedAt = Date.now()
    // No token into a write buffer: it merges the blocks of many inserts (and building one costs per insert).
    const token = this.#bufferFor(table) ? '' : batch.dedupToken()
    const outcome = await this.#writes.run(insertWrite(table), () =>
      this.#deps.sink.insert(table, batch.body.buffers(), token)
    )
    if (outcome.kind !== 'rejected') {
      const insertMs = performance.now() - started
      this.stats.inserted(table, batch.size, insertMs)
      // Where a row's latency goes (docs/benchmarks.md): its batch's age when flushed, and the insert.
      this.#deps.log.debug(
        { table, rows: batch.size, ageMs: flushedAt - batch.createdAt, insertMs: Math.round(insertMs) },
        'batch inserted'
      )
      return
    }
    if (batch.size === 1) {
      await this.#writes.run(DEAD_LETTER_WRITE, () =>
        this.#deps.deadLetters.send([
          {
            reason: `rejected by ClickHouse: ${outcome.reason}`,
            // Rows keep only their coordinates: the dead letter carries the row as it was sent.
            source: { ...batch.source(0), value: batch.row(0) }
          }
        ])
      )
      this.stats.deadLettered(1)
      return
    }
    for (const half of batch.split()) await this.#insert(table, half)
  }

  /** The batch's rows are written (or given up): free its lane slot and its share of the buffer. */
  #written(lane: Lane, batch: Batch): void {
    lane.inflight--
    this.#buffered -= batch.size
    this.#updatePressure()
    const next = lane.open
    if (next && this.#due(lane, next)) this.#flush(lane)
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
    const busy = this.#unsettled > 0 || [...this.#lanes.values()].some((lane) => (lane.open?.size ?? 0) > 0)
    if (busy) return
    for (const resolve of this.#idle) resolve()
    this.#idle.clear()
  }
}
