/**
 * One task for many callers (pure scheduling, no IO of its own): requests that arrive while a run is under way
 * are merged into the next run, runs never overlap, and they start at least `minIntervalMs()` apart, so the
 * server sees a few runs a second however many batches ask. A request resolves with the result of a run that
 * started after it, or rejects if that run failed; the failed run's work is merged back, for the caller's retry.
 *
 * Used for candle recomputes (candle-refresher.ts) and write-buffer flushes (buffer-flusher.ts).
 */
export class CoalescedRuns<Work, Result> {
  readonly #merge: (into: Work, more: Work) => void
  readonly #run: (work: Work) => Promise<Result>
  readonly #empty: () => Work
  readonly #minIntervalMs: () => number
  readonly #restAfterMs: (runMs: number) => number
  readonly #phaseMs: (() => number) | undefined
  #pending: Work
  #next: Promise<Result> | null = null
  /**
   * The last run, settled once its work is merged back (if it failed) and its rest is known: the next run starts
   * only after it (two runs at once would only compete for the server). Never rejects.
   */
  #running: Promise<unknown> = Promise.resolve()
  #lastStart = 0
  /** Epoch ms before which the next run may not start: the last run's end plus the rest it asked for. */
  #restUntil = 0
  /** Ends the wait before the next run early (stop: nothing should wait for the interval). */
  #wake: (() => void) | null = null
  #hurried = false

  constructor(options: {
    empty: () => Work
    merge: (into: Work, more: Work) => void
    run: (work: Work) => Promise<Result>
    minIntervalMs: () => number
    /**
     * The least pause after a run that took `runMs` before the next starts (default none): a run that got
     * slow (a busy server) spaces the runs out, so they cannot take up all of the server's time.
     */
    restAfterMs?: (runMs: number) => number
    /**
     * Runs start on a grid of `minIntervalMs()` shifted by `phaseMs()` (default: whenever the interval allows).
     * Bridges that each run every N × I ms, shifted by their rank × I, take turns: one run every I ms in all,
     * instead of N at once (nextAlignedStart).
     */
    phaseMs?: () => number
  }) {
    this.#empty = options.empty
    this.#merge = options.merge
    this.#run = options.run
    this.#minIntervalMs = options.minIntervalMs
    this.#restAfterMs = options.restAfterMs ?? (() => 0)
    this.#phaseMs = options.phaseMs
    this.#pending = options.empty()
  }

  request(work: Work): Promise<Result> {
    this.#merge(this.#pending, work)
    this.#next ??= this.#schedule()
    return this.#next
  }

  /** From now on, runs start without waiting for the interval or a rest (still one at a time). */
  hurry(): void {
    this.#hurried = true
    this.#wake?.()
  }

  async #schedule(): Promise<Result> {
    // Always yield before taking the pending work: `#next` must be set to this promise first, or a request
    // arriving later would wait on a run that never saw its work.
    await this.#running
    const now = Date.now()
    const intervalMs = this.#minIntervalMs()
    // On a grid, the slot after the last run's: a run that started a few ms after its slot must not push the
    // next one a whole period further (half an interval apart at least, then up to the grid).
    const earliest = this.#phaseMs
      ? nextAlignedStart(
          Math.max(now, this.#lastStart + intervalMs / 2, this.#restUntil),
          intervalMs,
          this.#phaseMs()
        )
      : Math.max(now, this.#lastStart + intervalMs, this.#restUntil)
    const waitMs = this.#hurried ? 0 : earliest - now
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs)
      this.#wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
    this.#wake = null
    // From here on, new requests wait for the run after this one.
    this.#next = null
    const work = this.#pending
    this.#pending = this.#empty()
    const started = Date.now()
    this.#lastStart = started
    // A run that throws before its first await is a failed run like any other.
    const outcome = (async () => this.#run(work))().then(
      (result) => ({ ok: true as const, result }),
      (error: unknown) => {
        this.#merge(this.#pending, work) // kept for the retry
        return { ok: false as const, error }
      }
    )
    this.#running = outcome.finally(() => {
      const ended = Date.now()
      this.#restUntil = ended + this.#restAfterMs(ended - started)
    })
    const settled = await outcome
    if (!settled.ok) throw settled.error
    return settled.result
  }
}

/**
 * The first moment at or after `earliest` (epoch ms) on the grid of `periodMs` shifted by `phaseMs`; `earliest`
 * itself when there is no grid (period ≤ 0).
 */
export function nextAlignedStart(earliest: number, periodMs: number, phaseMs: number): number {
  if (!(periodMs > 0)) return earliest
  const offset = (((earliest - phaseMs) % periodMs) + periodMs) % periodMs
  return offset === 0 ? earliest : earliest + periodMs - offset
}

/**
 * The rest after a run of `runMs` that keeps runs to `share` of the time (0 < share < 1), at most `maxMs`;
 * none at share ≥ 1 (no limit) or at a share ≤ 0 (not a share).
 */
export function restForShare(runMs: number, share: number, maxMs = Infinity): number {
  return share >= 1 || share <= 0 ? 0 : Math.min(maxMs, runMs * (1 / share - 1))
}
