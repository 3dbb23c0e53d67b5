import type { BatchOffsets } from '../core/offset-tracker.ts'
import { tableNames } from '../core/rows.ts'
import {
  deadlinesFor,
  dueEarly,
  filledUp,
  isDue,
  nextCheckAt,
  type BatchDeadlines,
  type BatchRules
} from '../core/batch-schedule.ts'
import { Batch } from './batch.ts'
import type { LaneName } from './batch-writer.ts'
import { DLQ_LANE } from './write-retry.ts'

/**
 * How long past its age bound a batch waits for a fetch that was timed to land before it (bridge/fetch-pace.ts)
 * and is late: else that fetch's messages wait for the next batch, a whole batch age more.
 */
export const FETCH_LANDING_GRACE_MS = 20

/** One table's (or the dead-letter topic's) batches: the open one, its deadlines and timer, inserts in flight. */
export interface Lane {
  readonly name: LaneName
  open: Batch | null
  timer: NodeJS.Timeout | null
  /** When the open batch is due (core/batch-schedule.ts). */
  deadlines: BatchDeadlines
  inflight: number
}

export interface BatchLanesOptions {
  rules: BatchRules
  /** How many times longer than the age bound a batch may wait (read when a batch opens; ≥ 1). */
  ageScale?: () => number
  /** A new batch's offsets, held by the offset tracker until the batch settles. */
  startBatch: () => BatchOffsets
  /** The lane's open batch is due: write it (or leave it open while the lane's inserts are all in flight). */
  onDue: (lane: Lane) => void
  /** A fetch timed to land before `dueAt` is still on its way (MessageSource.fetchLandingBefore). */
  fetchLandingBefore?: (dueAt: number) => boolean
}

/**
 * The worker's batch clock: one lane per table and one for the dead-letter topic, each with at most one open
 * batch and a timer that looks at it when it may be due — full, as old as its (scaled) age bound, or large
 * enough and as old as the unscaled one (core/batch-schedule.ts). A batch due by age while a fetch timed for it
 * is late waits for that fetch up to FETCH_LANDING_GRACE_MS. Writing, committing and pressure stay with the worker.
 */
export class BatchLanes {
  readonly #options: BatchLanesOptions
  readonly #lanes = new Map<LaneName, Lane>()

  constructor(options: BatchLanesOptions) {
    this.#options = options
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

  get(name: LaneName): Lane {
    return this.#lanes.get(name) as Lane
  }

  all(): IterableIterator<Lane> {
    return this.#lanes.values()
  }

  /** Whether any lane holds messages not yet handed to a write. */
  holdsMessages(): boolean {
    for (const lane of this.#lanes.values()) if ((lane.open?.size ?? 0) > 0) return true
    return false
  }

  /** The lane's open batch; a new one, with its deadlines and timer, when none is open. */
  openBatch(lane: Lane): Batch {
    if (lane.open) return lane.open
    const batch = new Batch(this.#options.startBatch())
    lane.open = batch
    lane.deadlines = deadlinesFor(Date.now(), this.#options.rules, this.#options.ageScale?.() ?? 1)
    this.#arm(lane, batch, nextCheckAt(lane.deadlines))
    return batch
  }

  /** Closes the lane's open batch (to be written) and stops its timer; null when it holds nothing. */
  take(lane: Lane): Batch | null {
    const batch = lane.open
    if (!batch || batch.size === 0) return null
    lane.open = null
    if (lane.timer) clearTimeout(lane.timer)
    lane.timer = null
    return batch
  }

  /** The open batch is due: full, as old as its age bound, or large enough and as old as the unscaled age. */
  isDue(lane: Lane, batch: Batch, now = Date.now()): boolean {
    return isDue(batch.size, now, lane.deadlines, this.#options.rules)
  }

  /** The message just added made the batch full, or large enough past its early check. */
  filledUp(lane: Lane, batch: Batch): boolean {
    return filledUp(batch.size, Date.now(), lane.deadlines, this.#options.rules)
  }

  /** Epoch ms when the earliest open batch is due by age; null when none is open (bridge/fetch-pace.ts). */
  nextDueAt(): number | null {
    let earliest: number | null = null
    for (const lane of this.#lanes.values()) {
      if (lane.open && (earliest === null || lane.deadlines.dueAt < earliest)) earliest = lane.deadlines.dueAt
    }
    return earliest
  }

  /**
   * The lanes whose open batch is due by age within `withinMs` (a fetch timed for them has landed), but not one
   * another fetch timed to it is still on its way to (another broker's): that one flushes it when it lands, or
   * the lane's timer after the grace.
   */
  *dueWithin(withinMs: number): Generator<Lane> {
    const horizon = Date.now() + withinMs
    for (const lane of this.#lanes.values()) {
      const { dueAt } = lane.deadlines
      if (lane.open && dueAt <= horizon && !this.#fetchLandingBefore(dueAt)) yield lane
    }
  }

  /** Looks at the open batch at `at`: handed to onDue if due then, else looked at again at its age bound. */
  #arm(lane: Lane, batch: Batch, at: number): void {
    lane.timer = setTimeout(
      () => {
        if (lane.open !== batch) return
        // One reading of the clock for every decision below: with two, the millisecond could turn between
        // them (a batch not yet due early, then "past the early check"), and an early batch was re-armed for
        // its scaled age.
        const now = Date.now()
        const due = this.isDue(lane, batch, now)
        // A fetch timed to this batch is late: it flushes the batch when it lands, or this timer after the grace.
        if (due && this.#awaitsFetch(lane, batch, now))
          this.#arm(lane, batch, lane.deadlines.dueAt + FETCH_LANDING_GRACE_MS)
        else if (due) this.#options.onDue(lane)
        // A timer can fire up to a millisecond before `at` by Date.now() (libuv's clock is not Date.now()'s):
        // look again at `at` then, not only at the age bound (an early batch waited for the scaled age).
        else this.#arm(lane, batch, now < at ? at : lane.deadlines.dueAt)
      },
      Math.max(0, at - Date.now())
    )
  }

  /**
   * Due by age only (not full, not large enough to go early), within the grace, and a fetch timed to land before
   * it is still on its way. A batch due early is not held: the fetches are timed to its scaled age, so waiting for
   * one would make BATCH_EARLY_ROWS wait for the scaled age too.
   */
  #awaitsFetch(lane: Lane, batch: Batch, now: number): boolean {
    const { dueAt } = lane.deadlines
    return (
      !dueEarly(batch.size, now, lane.deadlines, this.#options.rules) &&
      now < dueAt + FETCH_LANDING_GRACE_MS &&
      this.#fetchLandingBefore(dueAt)
    )
  }

  #fetchLandingBefore(dueAt: number): boolean {
    return this.#options.fetchLandingBefore?.(dueAt) ?? false
  }
}
