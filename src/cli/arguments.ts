import { InvalidQueryInput } from '../core/market-query.ts'
import { ErrorCodes, TickbridgeError } from '../errors.ts'

/** Runs pure argument parsing; a value the core refuses becomes TB_INVALID_ARGUMENT with a hint. */
export function parseArguments<T>(parse: () => T, hint: string): T {
  try {
    return parse()
  } catch (error) {
    if (error instanceof InvalidQueryInput)
      throw new TickbridgeError(ErrorCodes.INVALID_ARGUMENT, error.message, { hint })
    throw error
  }
}
