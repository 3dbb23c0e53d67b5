import { specFor, ticksToDecimal, type SymbolSpec } from '../market.ts'

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

/** A book per symbol, in the order given: `make` builds (and seeds) one from the symbol's market spec. */
export function bookPerSymbol<B>(
  symbols: string[],
  make: (spec: SymbolSpec, index: number) => B
): Map<string, B> {
  const books = new Map<string, B>()
  for (const [i, symbol] of symbols.entries()) books.set(symbol, make(specFor(symbol, i), i))
  return books
}

/** The book of `key`, or an error naming the unknown `what` ("unknown symbol ETHUSD"). */
export function named<B>(books: Map<string, B>, key: string, what = 'symbol'): B {
  const book = books.get(key)
  if (!book) throw new Error(`unknown ${what} ${key}`)
  return book
}

/** The best `n` levels of a side, best first, each spelled by `level`. */
export function topLevels<T, L>(
  side: Map<bigint, T>,
  descending: boolean,
  n: number,
  level: (price: bigint, value: T) => L
): L[] {
  return sortedPrices(side, descending)
    .slice(0, n)
    .map((price) => level(price, side.get(price) as T))
}

/**
 * The mid moved with the trades: the levels on the wrong side of it traded away. `remove` is called for each
 * (bids first, then asks, in the map's order) and removes it the exchange's way.
 */
export function removeCrossed<T>(
  book: { mid: bigint; bids: Map<bigint, T>; asks: Map<bigint, T> },
  remove: (side: 'bids' | 'asks', price: bigint) => void
): void {
  for (const price of [...book.bids.keys()]) if (price >= book.mid) remove('bids', price)
  for (const price of [...book.asks.keys()]) if (price <= book.mid) remove('asks', price)
}

/** A random level within `spread` ticks of the mid (side first, then distance); null when it would be ≤ 0. */
export function nearMid(
  random: () => number,
  mid: bigint,
  spread: number
): { side: 'bids' | 'asks'; price: bigint } | null {
  const bid = random() < 0.5
  const offset = BigInt(1 + Math.floor(random() * spread))
  const price = bid ? mid - offset : mid + offset
  return price <= 0n ? null : { side: bid ? 'bids' : 'asks', price }
}

/** A random positive quantity in ticks at `amountScale`: up to one more digit than the scale, `maxDigits` at most. */
export function randomLots(random: () => number, amountScale: number, maxDigits = 8): bigint {
  return BigInt(1 + Math.floor(random() * 10 ** Math.min(amountScale + 1, maxDigits)))
}
