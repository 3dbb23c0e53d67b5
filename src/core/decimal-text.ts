/**
 * Exchange numbers as exact decimal text. Exchanges that send prices as JSON numbers (Wallex depth, Polygon)
 * are parsed with their literal digits kept (lossless-json); this turns such a literal, exponent included,
 * into the plain non-negative decimal text of the wire format — by moving digits, never through a float.
 * Returns null for anything that is not a finite non-negative number literal.
 */
const NUMBER_LITERAL = /^(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/

export function toDecimalText(literal: string): string | null {
  const match = NUMBER_LITERAL.exec(literal.trim())
  if (!match) return null
  const [, intPart = '0', fracPart = '', expPart] = match
  const exponent = expPart === undefined ? 0 : Number(expPart)
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 60) return null
  let digits = intPart + fracPart
  let point = intPart.length + exponent // position of the decimal point within digits
  if (point <= 0) {
    digits = '0'.repeat(1 - point) + digits
    point = 1
  } else if (point > digits.length) {
    digits = digits + '0'.repeat(point - digits.length)
  }
  const integer = digits.slice(0, point).replace(/^0+(?=\d)/, '')
  const fraction = digits.slice(point)
  if (expPart === undefined) return fraction ? `${integer}.${fraction}` : integer // as sent
  const trimmed = fraction.replace(/0+$/, '')
  return trimmed ? `${integer}.${trimmed}` : integer
}
