import assert from 'node:assert/strict'
import { test } from 'node:test'
import { toDecimalText } from '../../src/core/decimal-text.ts'

test('number literals keep their digits exactly', () => {
  assert.equal(toDecimalText('82131'), '82131')
  assert.equal(toDecimalText('255.75'), '255.75')
  assert.equal(toDecimalText('82131.0000000000000000'), '82131.0000000000000000')
  assert.equal(toDecimalText('0.00001136'), '0.00001136')
})

test('exponents move the decimal point without a float', () => {
  assert.equal(toDecimalText('1.136e-5'), '0.00001136')
  assert.equal(toDecimalText('2E3'), '2000')
  assert.equal(toDecimalText('1.5e+1'), '15')
  assert.equal(toDecimalText('9007199254740993e-3'), '9007199254740.993') // beyond 2^53: a float would round
  assert.equal(toDecimalText('1e-18'), '0.000000000000000001')
})

test('anything else is refused', () => {
  for (const bad of ['-1', 'abc', '1.', '.5', '1e', 'NaN', '', '1e999'])
    assert.equal(toDecimalText(bad), null, bad)
})
