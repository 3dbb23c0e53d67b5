import type { PriceLevel } from '../messages.ts'

/** Decimal text -> a key equal for equal values ("0.00240" and "0.0024"), ordered by compareDecimalKeys. */
export function decimalKey(text: string): string {
  const [integer = '0', fraction = ''] = text.split('.')
  const int = integer.replace(/^0+(?=\d)/, '')
  const frac = fraction.replace(/0+$/, '')
  return frac ? `${int}.${frac}` : int
}

/** Numeric order of two canonical keys: integer part by length then digits, then the fraction by digits. */
export function compareDecimalKeys(a: string, b: string): number {
  const [ai = '0', af = ''] = a.split('.')
  const [bi = '0', bf = ''] = b.split('.')
  if (ai.length !== bi.length) return ai.length - bi.length
  if (ai !== bi) return ai < bi ? -1 : 1
  return af === bf ? 0 : af < bf ? -1 : 1
}

/** Plain decimal text that is zero in any spelling ("0", "0.000", ".0"): a quantity that deletes a level. */
export function isZeroDecimal(text: string): boolean {
  return /^0*(\.0*)?$/.test(text)
}

/**
 * One side of a local order book (pure): price key (decimalKey) -> [price text as sent, quantity text as
 * sent]. A level is set to its absolute quantity; a zero quantity deletes it. Prices are ordered as decimal
 * text, never through a float: bids best (highest) first, asks best (lowest) first.
 */
export class BookSide {
  readonly #levels = new Map<string, PriceLevel>()
  readonly #descending: boolean

  /** `descending`: true for bids, false for asks. */
  constructor(descending: boolean) {
    this.#descending = descending
  }

  set([price, quantity]: PriceLevel): void {
    const key = decimalKey(price)
    if (isZeroDecimal(quantity)) this.#levels.delete(key)
    else this.#levels.set(key, [price, quantity])
  }

  clear(): void {
    this.#levels.clear()
  }

  get size(): number {
    return this.#levels.size
  }

  /** The best n levels, best first (copies). */
  top(n: number): PriceLevel[] {
    return this.#sortedKeys()
      .slice(0, n)
      .map((key) => [...(this.#levels.get(key) as PriceLevel)] as PriceLevel)
  }

  /** Drops every level beyond the best `n` (a level pushed out of a subscribed depth cannot be kept up to date). */
  truncate(n: number): void {
    if (this.#levels.size <= n) return
    for (const key of this.#sortedKeys().slice(n)) this.#levels.delete(key)
  }

  #sortedKeys(): string[] {
    const keys = [...this.#levels.keys()].sort(compareDecimalKeys)
    return this.#descending ? keys.reverse() : keys
  }
}
