/**
 * Gap detection in a stream of sequential trade ids, per symbol. Pure: the feed tells it each live trade's id
 * range (first..last: one id, or several where the exchange aggregates fills) and it answers whether ids were
 * skipped since the last trade it saw. Trades at or below the last id (re-sent after a reconnect, or older
 * ones arriving late) are not gaps; they only extend what was seen.
 */
export interface TradeGap {
  symbol: string
  /** The last trade seen before the gap: its id and exchange time (where a backfill starts). */
  after: { id: bigint; ts: number }
  /** The first id seen after the gap: the missing ids are after.id + 1 .. before - 1. */
  before: bigint
}

export const missingIds = (gap: TradeGap): bigint => gap.before - gap.after.id - 1n

export class TradeGaps {
  readonly #last = new Map<string, { id: bigint; ts: number }>()

  /** A live trade of `symbol` covering ids first..last at exchange time ts: the gap it reveals, if any. */
  observe(symbol: string, range: { first: bigint; last: bigint }, ts: number): TradeGap | null {
    const last = this.#last.get(symbol)
    if (last === undefined || range.last > last.id) this.#last.set(symbol, { id: range.last, ts })
    if (last === undefined || range.first <= last.id + 1n) return null
    return { symbol, after: last, before: range.first }
  }
}

/** Reads a trade id as a sequential integer, or null when it is not one (e.g. a UUID or a derived id). */
export function sequentialId(id: string): bigint | null {
  return /^(0|[1-9][0-9]{0,30})$/.test(id) ? BigInt(id) : null
}
