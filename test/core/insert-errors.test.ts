import assert from 'node:assert/strict'
import { test } from 'node:test'
import { backoffMs, clickhouseErrorCode, isDataError } from '../../src/core/insert-errors.ts'

test('ClickHouse parse and type errors are data errors (split and dead-letter)', () => {
  for (const code of ['6', '26', '27', '38', '41', '53', '69', '70', '72', '117', '131', '407']) {
    assert.equal(isDataError(code), true, code)
  }
})

test('server-side and unknown failures are not data errors (retry)', () => {
  // 159 TIMEOUT_EXCEEDED, 202 TOO_MANY_SIMULTANEOUS_QUERIES, 209 SOCKET_TIMEOUT, 210 NETWORK_ERROR,
  // 241 MEMORY_LIMIT_EXCEEDED, 252 TOO_MANY_PARTS, 60 UNKNOWN_TABLE, 81 UNKNOWN_DATABASE
  for (const code of [
    '159',
    '202',
    '209',
    '210',
    '241',
    '252',
    '60',
    '81',
    '',
    'ECONNREFUSED',
    '027',
    ' 27'
  ]) {
    assert.equal(isDataError(code), false, JSON.stringify(code))
  }
  assert.equal(isDataError(undefined), false)
})

test('backoff doubles from 100 ms', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((n) => backoffMs(n, 60_000)),
    [100, 200, 400, 800, 1_600]
  )
})

test('backoff is capped at maxMs, even for huge attempt counts', () => {
  assert.equal(backoffMs(5, 1_000), 1_000)
  assert.equal(backoffMs(0, 50), 50)
  for (const attempt of [30, 1_000, 1e9, Number.MAX_SAFE_INTEGER]) {
    const delay = backoffMs(attempt, 5_000)
    assert.equal(delay, 5_000, `attempt ${attempt}`)
  }
})

test('backoff never decreases as attempts grow', () => {
  let previous = 0
  for (let n = 0; n < 40; n++) {
    const delay = backoffMs(n, 30_000)
    assert.ok(delay >= previous && Number.isFinite(delay), `attempt ${n}: ${delay}`)
    previous = delay
  }
})

test('the ClickHouse error code comes from the client or, on 18.16, from the message', () => {
  assert.equal(clickhouseErrorCode(Object.assign(new Error('x'), { code: '27' })), '27')
  assert.equal(
    clickhouseErrorCode(
      new Error('Code: 27, e.displayText() = DB::Exception: Cannot parse input: expected , before: poison')
    ),
    '27'
  )
  assert.equal(clickhouseErrorCode(new Error('Code: 407. DB::Exception: Decimal math overflow')), '407')
  assert.equal(clickhouseErrorCode(new Error('socket hang up')), undefined)
  assert.equal(clickhouseErrorCode(Object.assign(new Error('x'), { code: 'ECONNRESET' })), undefined)
})
