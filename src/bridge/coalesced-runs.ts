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
  #pending: Work
  #next: Promise<Result> | null = null
  /** The run under way: the next one starts only after it (two runs at once would only compete). */
  #running: Promise<Result> | null = null
  #lastStart = 0
  /** When the last run ended, and the least pause it asked for before the next one. */
  #lastEnd = 0
  #rest = 0
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
  }) {
    this.#empty = options.empty
    this.#merge = options.merge
    this.#run = options.run
    this.#minIntervalMs = options.minIntervalMs
    this.#restAfterMs = options.restAfterMs ?? (() => 0)
    this.#pending = options.empty()
  }

  request(work: Work): Promise<Result> {
    this.#merge(this.#pending, work)
    this.#next ??= this.#schedule()
    return this.#next
  }

  /** From now on, runs start without waiting for the interval. */
  hurry(): void {
    this.#hurried = true
    this.#wake?.()
  }

  async #schedule(): Promise<Result> {
    // Always yield before taking the pending work: `#next` must be set to this promise first, or a request
    // arriving later would wait on a run that never saw its work.
    await this.#running?.catch(() => undefined)
    const now = Date.now()
    const waitMs = this.#hurried
      ? 0
      : Math.max(0, this.#lastStart + this.#minIntervalMs() - now, this.#lastEnd + this.#rest - now)
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
    this.#lastStart = Date.now()
    // A run that throws before its first await still settles `running` (and merges its work back).
    const running = (async () => this.#run(work))()
    this.#running = running
    try {
      return await running
    } catch (error) {
      this.#merge(this.#pending, work) // kept for the retry
      throw error
    } finally {
      if (this.#running === running) this.#running = null
      this.#lastEnd = Date.now()
      this.#rest = this.#restAfterMs(this.#lastEnd - this.#lastStart)
    }
  }
}
