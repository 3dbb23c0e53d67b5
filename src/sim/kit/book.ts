import { ticksToDecimal } from '../market.ts'

/**
 * Books of the local exchange servers, in integer ticks (no float touches a price): a side is a Map from price
 * ticks to whatever the exchange keeps per level (a quantity's text or ticks, a size and an order count).
 */

/** The prices of a side in book order: descending for bids, ascending for asks. */
export function sortedPrices(side: Map<bigint, unknown>, descending: boolean): bigint[] {
  return [...side.keys()].sort((a, b) => (a === b ? 0 : a < b !== descending ? -1 : 1))
}

/** The best `n` levels of a side, best first. */
export function bestLevels<T>(side: Map<bigint, T>, descending: boolean, n: number): Map<bigint, T> {
  return new Map(
    sortedPrices(side, descending)
      .slice(0, n)
      .map((price) => [price, side.get(price) as T])
  )
}

/**
 * The starting book around `mid`: one level per tick on each side, `levels` deep (bids only above zero);
 * `level` makes each level's value, a bid before the ask at each distance.
 */
export function seedBook<T>(
  book: { mid: bigint; bids: Map<bigint, T>; asks: Map<bigint, T> },
  levels: number,
  level: (side: 'bids' | 'asks') => T
): void {
  for (let distance = 1n; distance <= BigInt(levels); distance++) {
    if (book.mid - distance > 0n) book.bids.set(book.mid - distance, level('bids'))
    book.asks.set(book.mid + distance, level('asks'))
  }
}

/** A trade's decimal price text -> ticks at `scale` (extra digits cut): where the book's mid moves to. */
export function priceTicks(price: string, scale: number): bigint {
  const [integer = '0', fraction = ''] = price.split('.')
  return BigInt(integer + fraction.padEnd(scale, '0').slice(0, scale))
}

/** Ticks -> decimal text without trailing zeros ("8476.98", "0.3", "5"), as Coinbase's socket and OKX write. */
export function trimmedDecimal(ticks: bigint, scale: number): string {
  const text = ticksToDecimal(ticks, scale)
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text
}

/** Ticks at `scale` -> decimal text with exactly `decimals` decimals ("0.00100000"), as Binance writes. */
export function fixedDecimal(ticks: bigint, scale: number, decimals: number): string {
  return ticksToDecimal(ticks * 10n ** BigInt(decimals - scale), decimals)
}
