import type { TradeSide } from '../../core/messages.ts'

/** A trade a local exchange made, and the connection it was sent on (-1: the record of it being made). */
export interface SentTrade {
  connection: number
  symbol: string
  id: string
  price: string
  quantity: string
  side: TradeSide
}

/** Every trade made (connected clients or not), and every copy sent with the connection it went to. */
export class TradeRecord {
  readonly made: SentTrade[] = []
  readonly sent: SentTrade[] = []

  /** A trade was made: recorded with connection -1. */
  make(trade: Omit<SentTrade, 'connection'>): void {
    this.made.push({ connection: -1, ...trade })
  }

  /** The trade went out on connection `connection`. */
  sentOn(connection: number, trade: Omit<SentTrade, 'connection'>): void {
    this.sent.push({ connection, ...trade })
  }
}

/**
 * Trades paced against the clock at `tradesPerSecond`: each tick asks how many are due since the last one (a
 * fraction carries over). While paused none are due and none accrue; resuming starts counting from then.
 */
export class TradePacer {
  readonly #tradesPerSecond: number
  #due = 0
  #last = Date.now()
  #paused = false

  constructor(tradesPerSecond: number) {
    this.#tradesPerSecond = tradesPerSecond
  }

  get paused(): boolean {
    return this.#paused
  }

  /** The trades due at `now` (0 while paused). */
  due(now: number): number {
    const elapsed = now - this.#last
    this.#last = now
    if (this.#paused) return 0
    this.#due += (this.#tradesPerSecond * elapsed) / 1000
    const whole = this.#due >= 1 ? Math.floor(this.#due) : 0
    this.#due -= whole
    return whole
  }

  pause(): void {
    this.#paused = true
  }

  /** Resumes from now; `dropFraction`: the part of a trade that was owed is forgotten too. */
  resume(dropFraction = false): void {
    this.#paused = false
    this.#last = Date.now()
    if (dropFraction) this.#due = 0
  }
}
