import { toDecimalText } from '../decimal-text.ts'

/**
 * Readers of exchange frame fields shared by the mappers (pure). Frames are parsed with JSON number literals
 * kept as text (lossless-json), so a number field arrives as a string, or as a number from hand-built
 * values. Each reader returns null for a value that is not what it reads.
 */

/** A JSON object (not null, not an array). */
export function object(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null
}

/** A string field, as it is. */
export function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null
}

/** A decimal as canonical decimal text (core/decimal-text.ts); only strings (number literals kept as text). */
export function decimal(value: unknown): string | null {
  return typeof value === 'string' ? toDecimalText(value) : null
}

/**
 * An integer of up to 16 digits that is a safe integer: a JSON number literal kept as text, a number, or a
 * numeric string. Non-negative unless `allowNegative`.
 */
export function integer(value: unknown, allowNegative = false): number | null {
  const literal = typeof value === 'number' ? String(value) : value
  if (typeof literal !== 'string' || !(allowNegative ? /^-?\d{1,16}$/ : /^\d{1,16}$/).test(literal))
    return null
  const n = Number(literal)
  return Number.isSafeInteger(n) ? n : null
}

/** A symbol spelled as one word of 2 to 32 uppercase letters and digits, e.g. BTCUSDT (Binance, Bybit). */
export function compactSymbol(value: unknown): string | null {
  return typeof value === 'string' && /^[A-Z0-9]{2,32}$/.test(value) ? value : null
}
