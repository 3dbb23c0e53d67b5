import { hash } from 'node:crypto'

/**
 * Deterministic ids for exchanges that send trades without one (Wallex). The id is a hash of the trade's
 * content plus its occurrence among identical trades (same symbol, time, price, amount, side) seen on this
 * connection. The count restarts on every (re)connection, so a trade the exchange sends again after a
 * reconnect gets the id it had before, and two genuinely identical trades stay two (occurrence 0 and 1).
 */
export class DerivedTradeIds {
  readonly #seen = new Map<string, number>()
  /** Contents in arrival order with their exchange time, to forget them a minute later without a scan. */
  #order: { ts: number; content: string }[] = []
  #head = 0

  /** Call when a new connection starts. */
  reset(): void {
    this.#seen.clear()
    this.#order = []
    this.#head = 0
  }

  next(parts: {
    exchange: string
    symbol: string
    ts: number
    price: string
    amount: string
    side: string
  }): string {
    const content = `${parts.exchange}|${parts.symbol}|${parts.ts}|${parts.price}|${parts.amount}|${parts.side}`
    const occurrence = this.#seen.get(content) ?? 0
    this.#seen.set(content, occurrence + 1)
    if (occurrence === 0) this.#order.push({ ts: parts.ts, content })
    this.#forgetBefore(parts.ts - FORGET_AFTER_MS)
    // crypto.hash: one call, no Hash object (measured 0.35–0.41 µs against 1.2–1.5 µs for createHash here).
    return `${hash('sha1', content, 'hex').slice(0, 20)}-${occurrence}`
  }

  /**
   * Identical trades more than a minute apart in exchange time cannot be confused: forget the oldest first.
   * Exchange times arrive nearly in order, so this is amortised O(1) per trade (it used to scan the whole map).
   */
  #forgetBefore(ts: number): void {
    const order = this.#order
    while (this.#head < order.length && (order[this.#head] as { ts: number }).ts < ts) {
      this.#seen.delete((order[this.#head] as { content: string }).content)
      this.#head++
    }
    if (this.#head > 4_096 && this.#head * 2 > order.length) {
      this.#order = order.slice(this.#head)
      this.#head = 0
    }
  }

  /** Contents remembered now (for tests and metrics). */
  get remembered(): number {
    return this.#seen.size
  }
}

const FORGET_AFTER_MS = 60_000
