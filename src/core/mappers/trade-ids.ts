import { createHash } from 'node:crypto'

/**
 * Deterministic ids for exchanges that send trades without one (Wallex). The id is a hash of the trade's
 * content plus its occurrence among identical trades (same symbol, time, price, amount, side) seen on this
 * connection. The count restarts on every (re)connection, so a trade the exchange sends again after a
 * reconnect gets the id it had before, and two genuinely identical trades stay two (occurrence 0 and 1).
 */
export class DerivedTradeIds {
  readonly #seen = new Map<string, number>()
  #oldestTs = 0

  /** Call when a new connection starts. */
  reset(): void {
    this.#seen.clear()
    this.#oldestTs = 0
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
    this.#forgetBefore(parts.ts - 60_000)
    return `${createHash('sha1').update(content).digest('hex').slice(0, 20)}-${occurrence}`
  }

  /** Identical trades more than a minute apart in exchange time cannot be confused: keep the map small. */
  #forgetBefore(ts: number): void {
    if (ts <= this.#oldestTs || this.#seen.size < 10_000) return
    for (const key of this.#seen.keys()) {
      const keyTs = Number(key.split('|')[2])
      if (keyTs < ts) this.#seen.delete(key)
    }
    this.#oldestTs = ts
  }
}
