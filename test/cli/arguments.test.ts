import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseWholeNumber, wholeNumber } from '../../src/cli/arguments.ts'
import { ErrorCodes, TickbridgeError } from '../../src/errors.ts'

// Server-free: the CLI's one integer parser.
test('whole numbers of at least min pass; anything else is TB_INVALID_ARGUMENT naming the option', () => {
  assert.equal(parseWholeNumber('3', '--bridges', 1), 3)
  assert.equal(parseWholeNumber(' 42 ', '--rate', 1), 42)
  assert.equal(parseWholeNumber('0', 'N', 0), 0)
  assert.equal(wholeNumber('--port', 0)('8700'), 8700)
  for (const bad of ['', 'x', '-1', '1.5', '1e3', '0x10', '3abc', '99999999999999999999', '0']) {
    assert.throws(
      () => parseWholeNumber(bad, '--bridges', 1),
      (error: unknown) =>
        error instanceof TickbridgeError &&
        error.code === ErrorCodes.INVALID_ARGUMENT &&
        error.message === `--bridges must be a whole number ≥ 1, got "${bad}"` &&
        error.hint !== undefined,
      JSON.stringify(bad)
    )
  }
})
