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

/**
 * The ClickHouse error code of a failure: the client's `code` where it parsed one, else the `Code: N` in the
 * message (18.16 words its errors as "Code: 27, e.displayText() = DB::Exception: ...", which the client does
 * not parse).
 */
export function clickhouseErrorCode(error: unknown): string | undefined {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  if (typeof code === 'string' && /^\d+$/.test(code)) return code
  const match = typeof message === 'string' ? /\bCode: (\d+)[,.]/.exec(message) : null
  return match?.[1]
}

/** Capped exponential backoff: 100 ms, 200 ms, 400 ms, ... up to `maxMs`. */
export function backoffMs(attempt: number, maxMs: number): number {
  return Math.min(maxMs, 100 * 2 ** Math.min(attempt, 20))
}
