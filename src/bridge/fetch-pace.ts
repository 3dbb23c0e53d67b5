import type { BufferConsumer } from '../kafka/clients.ts'
import { kafkaLibrary } from '../kafka/library.ts'

/** How a consumer's fetches wait at the broker: for `minBytes`, at most `maxWaitTime` ms. */
export interface FetchSettings {
  minBytes: number
  maxWaitTime: number
}

/** How early an aligned fetch is asked to land before its batch is due: the reply's trip and its parsing. */
export const ALIGN_LEAD_MS = 10

/** A fetch this long past the latest it should have landed is forgotten. */
const STALE_AFTER_MS = 1_000

interface InFlightFetch {
  aimedAt: number | null
  landsBy: number
}

/**
 * How long each fetch waits at the broker. A fetch waits for KAFKA_FETCH_MIN_BYTES or KAFKA_FETCH_MAX_WAIT_MS
 * (64 KiB / 20 ms): right under load, but a bridge whose batches go by age (150 ms with 3 bridges) fetched ~7
 * times per batch, and an idle one 50 times a second for nothing; each fetch costs the broker ~0.4 ms of CPU.
 * Two rules, both free in latency:
 * - **Aligned to the batch** (`dueAt`, the worker's earliest open batch): a fetch made while a batch is open
 *   waits until just before that batch is due (at least the configured wait). What it brings would have waited
 *   in the batch anyway; it lands in time to go with it. Under load the broker answers at KAFKA_FETCH_MIN_BYTES
 *   as before.
 *   With several brokers a fetch per broker is in flight, each timed when built: a landing flushes a batch only
 *   once no other fetch timed to it is on its way (`landingBefore`, asked by bridge/batch-lanes.ts), or the
 *   others' messages would wait a whole batch more.
 * - **Idle**: once a look (KafkaSource, every 100 ms) sees no new message, fetches ask for 1 byte and wait up to
 *   `idleWaitMs`: the broker answers as soon as anything arrives. The first look that sees messages again
 *   restores the configured minimum.
 * @platformatic/kafka reads `minBytes` and `maxWaitTime` from the consumer's options (its `kOptions`, exported
 * for extensions) each time it builds a fetch: `install` makes `maxWaitTime` a getter asking `waitMs`, and
 * `apply` writes `minBytes` (docs/decisions/kafka-client.md).
 */
export class FetchPace {
  readonly #idleWaitMs: number
  readonly #dueAt: (() => number | null) | null
  #busy: FetchSettings | null = null
  #idling = false
  #lastReceived = -1
  /**
   * The fetches built and not yet landed, oldest first: the batch deadline each was timed to land before (null:
   * not aligned) and when it lands at the latest. A consumer has one fetch in flight per broker it reads from.
   */
  #inFlight: InFlightFetch[] = []

  /** `idleWaitMs` 0: never idle; `dueAt` unset: never aligned. */
  constructor(idleWaitMs: number, dueAt?: () => number | null) {
    this.#idleWaitMs = idleWaitMs
    this.#dueAt = dueAt ?? null
  }

  /** Whether it long-polls when idle (an idle wait was given): then KafkaSource looks every 100 ms. */
  get idles(): boolean {
    return this.#idleWaitMs > 0
  }

  /** A new consumer starts with the busy settings it was built with. */
  reset(): void {
    this.#idling = false
    this.#lastReceived = -1
    this.#inFlight = []
  }

  /**
   * Called every idleAfterMs with the count of messages received so far: which settings fetches should use
   * from now on, or null for no change. Nothing received since the last call = idle.
   */
  next(received: number): 'idle' | 'busy' | null {
    if (!this.idles) return null
    const quiet = received === this.#lastReceived
    this.#lastReceived = received
    if (quiet === this.#idling) return null
    this.#idling = quiet
    return quiet ? 'idle' : 'busy'
  }

  /** The wait of a fetch built at `now`: idle, aligned to the open batch, or the configured one. */
  waitMs(now: number): number {
    const { waitMs, aimedAt } = this.#wait(now)
    this.#forgetStale(now)
    this.#inFlight.push({ aimedAt, landsBy: now + waitMs })
    return waitMs
  }

  #wait(now: number): { waitMs: number; aimedAt: number | null } {
    const busy = this.#busy?.maxWaitTime ?? 0
    if (this.#idling) return { waitMs: this.#idleWaitMs, aimedAt: null }
    const dueAt = this.#dueAt?.() ?? null
    if (dueAt === null || dueAt - now - ALIGN_LEAD_MS <= busy) return { waitMs: busy, aimedAt: null }
    return { waitMs: dueAt - now - ALIGN_LEAD_MS, aimedAt: dueAt }
  }

  /**
   * A fetch landed (the stream's 'fetch' event does not say which): the one due to land first is taken for it.
   * With one broker there is only one.
   */
  landed(): void {
    let first = -1
    this.#inFlight.forEach((fetch, i) => {
      if (first < 0 || fetch.landsBy < (this.#inFlight[first] as InFlightFetch).landsBy) first = i
    })
    if (first >= 0) this.#inFlight.splice(first, 1)
  }

  /**
   * A fetch timed to land before `dueAt` is still on its way: a busy machine can make it a little late, and with
   * several brokers the others' fetches land just after the first (bridge/batch-lanes.ts waits for them).
   */
  landingBefore(dueAt: number): boolean {
    this.#forgetStale(Date.now())
    return this.#inFlight.some((fetch) => fetch.aimedAt !== null && fetch.aimedAt <= dueAt)
  }

  /** Fetches long overdue (retried or failed without a landing the stream reports) are no longer waited for. */
  #forgetStale(now: number): void {
    if (this.#inFlight.some((fetch) => fetch.landsBy + STALE_AFTER_MS < now))
      this.#inFlight = this.#inFlight.filter((fetch) => fetch.landsBy + STALE_AFTER_MS >= now)
  }

  /**
   * Takes over the consumer's fetch options: remembers the settings it was built with (the busy ones) and, when
   * aligning, makes `maxWaitTime` ask `waitMs` at each fetch.
   */
  install(consumer: BufferConsumer): void {
    const options = optionsOf(consumer)
    if (!options) return
    this.#busy = { minBytes: options.minBytes, maxWaitTime: options.maxWaitTime }
    if (!this.#dueAt) return
    Object.defineProperty(options, 'maxWaitTime', {
      get: () => this.waitMs(Date.now()),
      set: () => undefined,
      enumerable: true,
      configurable: true
    })
  }

  /** Applies the settings `next` chose to the consumer (the busy ones are those it was built with). */
  apply(consumer: BufferConsumer, mode: 'idle' | 'busy'): void {
    const options = optionsOf(consumer)
    if (!options || !this.#busy) return
    options.minBytes = mode === 'idle' ? 1 : this.#busy.minBytes
    // Aligned, the getter reads #idling; else the wait is written here.
    if (!this.#dueAt) options.maxWaitTime = mode === 'idle' ? this.#idleWaitMs : this.#busy.maxWaitTime
  }
}

function optionsOf(consumer: BufferConsumer): FetchSettings | undefined {
  return (consumer as unknown as Record<symbol, FetchSettings>)[kafkaLibrary().kOptions]
}
