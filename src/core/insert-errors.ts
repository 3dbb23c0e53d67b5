/**
 * Whether an insert failure is about the data (retrying the same rows cannot help: split the batch and
 * dead-letter the row that fails alone) or about the server (retry with backoff; nothing is committed meanwhile).
 */
const DATA_ERROR_CODES = new Set([
  '6', // CANNOT_PARSE_TEXT
  '26', // CANNOT_PARSE_QUOTED_STRING
  '27', // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  '38', // CANNOT_PARSE_DATE
  '41', // CANNOT_PARSE_DATETIME
  '53', // TYPE_MISMATCH
  '69', // ARGUMENT_OUT_OF_BOUND
  '70', // CANNOT_CONVERT_TYPE
  '72', // CANNOT_PARSE_NUMBER
  '117', // INCORRECT_DATA
  '131', // TOO_LARGE_STRING_SIZE
  '407' // DECIMAL_OVERFLOW
])

export function isDataError(code: string | undefined): boolean {
  return code !== undefined && DATA_ERROR_CODES.has(code)
}

/** Capped exponential backoff: 100 ms, 200 ms, 400 ms, ... up to `maxMs`. */
export function backoffMs(attempt: number, maxMs: number): number {
  return Math.min(maxMs, 100 * 2 ** Math.min(attempt, 20))
}
