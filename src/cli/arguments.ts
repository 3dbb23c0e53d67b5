import { InvalidQueryInput } from '../core/market-query.ts'
import { InvalidPool } from '../core/pools.ts'
import { ErrorCodes, TickbridgeError } from '../errors.ts'

/** Runs pure argument parsing; a value the core refuses becomes TB_INVALID_ARGUMENT with a hint. */
export function parseArguments<T>(parse: () => T, hint: string): T {
  try {
    return parse()
  } catch (error) {
    if (error instanceof InvalidQueryInput || error instanceof InvalidPool)
      throw new TickbridgeError(ErrorCodes.INVALID_ARGUMENT, error.message, { hint })
    throw error
  }
}

/**
 * The CLI's one integer parser: a whole number of at least `min`, written as digits (no sign, fraction,
 * exponent or hex, and not empty). Anything else is TB_INVALID_ARGUMENT naming the option.
 */
export function parseWholeNumber(value: string, name: string, min = 0): number {
  const digits = value.trim()
  const n = /^\d+$/.test(digits) ? Number(digits) : Number.NaN
  if (!Number.isSafeInteger(n) || n < min) {
    throw new TickbridgeError(
      ErrorCodes.INVALID_ARGUMENT,
      `${name} must be a whole number ≥ ${min}, got "${value}"`,
      { hint: 'Run the command with --help to see its options.' }
    )
  }
  return n
}

/** parseWholeNumber as a commander argument parser: `.option('--rate <n>', '…', wholeNumber('--rate', 1), 1000)`. */
export function wholeNumber(name: string, min = 0): (value: string) => number {
  return (value) => parseWholeNumber(value, name, min)
}
