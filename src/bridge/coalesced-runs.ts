/**
 * One task for many callers (pure scheduling, no IO of its own): requests that arrive while a run is under way
 * are merged into the next run, and runs start at least `minIntervalMs()` apart, so the server sees a few runs a
 * second however many batches ask. A request resolves with the result of a run that started after it, or
 * rejects if that run failed; the failed run's work is merged back, for the caller's retry.
 *
 * Used for candle recomputes (candle-refresher.ts) and write-buffer flushes (buffer-flusher.ts).
 */
export class CoalescedRuns<Work, Result> {
  readonly #merge: (into: Work, more: Work) => void
  readonly #run: (work: Work) => Promise<Result>
  readonly #empty: () => Work
  readonly #minIntervalMs: () => number
  #pending: Work
  #next: Promise<Result> | null = null
  #lastStart = 0
  /** Ends the wait before the next run early (stop: nothing should wait for the interval). */
  #wake: (() => void) | null = null
  #hurried = false

  constructor(options: {
    empty: () => Work
    merge: (into: Work, more: Work) => void
    run: (work: Work) => Promise<Result>
    minIntervalMs: () => number
  }) {
    this.#empty = options.empty
    this.#merge = options.merge
    this.#run = options.run
    this.#minIntervalMs = options.minIntervalMs
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
    const waitMs = this.#hurried ? 0 : Math.max(0, this.#lastStart + this.#minIntervalMs() - Date.now())
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
    try {
      return await this.#run(work)
    } catch (error) {
      this.#merge(this.#pending, work) // kept for the retry
      throw error
    }
  }
}
