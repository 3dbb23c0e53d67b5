import type { BufferConsumer } from '../kafka/clients.ts'
import { kafkaLibrary } from '../kafka/library.ts'

/** How a consumer's fetches wait at the broker: for `minBytes`, at most `maxWaitTime` ms. */
export interface FetchSettings {
  minBytes: number
  maxWaitTime: number
}

/**
 * Long-polls while a bridge has nothing to read. A fetch waits at the broker for KAFKA_FETCH_MIN_BYTES or
 * KAFKA_FETCH_MAX_WAIT_MS (64 KiB / 20 ms): right under load, but an idle bridge then fetches 50 times a second
 * for nothing, and each empty fetch costs the broker ~0.4 ms of CPU (3 idle bridges: 11 % of a core of
 * Kafka's, docs/benchmarks.md). Once a look (KafkaSource, every 100 ms) sees no new message, fetches ask for
 * 1 byte and wait up to `idleWaitMs`: the broker answers as soon as anything arrives (no added latency; the
 * first message after a quiet spell comes sooner than with 64 KiB), else after the long wait. The first look
 * that sees messages again restores the busy settings. `next` is the policy (counts in, a decision out);
 * `apply` writes the consumer's fetch options, which @platformatic/kafka reads for every fetch (its
 * `kOptions`, exported for extensions; docs/decisions/kafka-client.md).
 */
export class FetchPace {
  readonly #idle: FetchSettings
  #busy: FetchSettings | null = null
  #idling = false
  #lastReceived = -1

  constructor(idleWaitMs: number) {
    this.#idle = { minBytes: 1, maxWaitTime: idleWaitMs }
  }

  /** A new consumer starts with the busy settings it was built with. */
  reset(): void {
    this.#idling = false
    this.#lastReceived = -1
  }

  /**
   * Called every idleAfterMs with the count of messages received so far: which settings fetches should use
   * from now on, or null for no change. Nothing received since the last call = idle.
   */
  next(received: number): 'idle' | 'busy' | null {
    const quiet = received === this.#lastReceived
    this.#lastReceived = received
    if (quiet === this.#idling) return null
    this.#idling = quiet
    return quiet ? 'idle' : 'busy'
  }

  /** Applies the settings `next` chose to the consumer (the busy ones are those it was built with). */
  apply(consumer: BufferConsumer, mode: 'idle' | 'busy'): void {
    const options = (consumer as unknown as Record<symbol, FetchSettings>)[kafkaLibrary().kOptions]
    if (!options) return
    this.#busy ??= { minBytes: options.minBytes, maxWaitTime: options.maxWaitTime }
    const settings = mode === 'idle' ? this.#idle : this.#busy
    options.minBytes = settings.minBytes
    options.maxWaitTime = settings.maxWaitTime
  }
}
