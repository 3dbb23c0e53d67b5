import { ticksToDecimal } from '../market.ts'

/** How Kraken spells decimals and times (pure). */

/** Kraken quantities: 8 decimals. */
export const QTY_DECIMALS = 8

/** Price ticks -> text at the book's scale, trailing zeros kept. */
export const priceText = (book: { priceScale: number }, ticks: bigint): string =>
  ticksToDecimal(ticks, book.priceScale)

/** A quantity in 1e-8 units -> text with 8 decimals. */
export const qtyText = (units: bigint): string => ticksToDecimal(units, QTY_DECIMALS)

/** Nanoseconds since the epoch -> RFC 3339 with microseconds ("2023-09-25T07:49:36.925603Z"). */
export function rfc3339(timeNs: bigint): string {
  const iso = new Date(Number(timeNs / 1_000_000n)).toISOString() // …:36.925Z
  return `${iso.slice(0, 23)}${String((timeNs / 1_000n) % 1_000n).padStart(3, '0')}Z`
}
