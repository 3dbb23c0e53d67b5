import assert from 'node:assert/strict'
import { test } from 'node:test'
import { deadlinesFor, filledUp, isDue, nextCheckAt } from '../../src/core/batch-schedule.ts'

const rules = { maxRows: 20_000, maxAgeMs: 50, earlyRows: 0 }

test('one bridge: due at 50 ms or 20,000 rows, whichever comes first', () => {
  const deadlines = deadlinesFor(1_000, rules, 1)
  assert.deepEqual(deadlines, { dueAt: 1_050, earlyAt: 1_050 })
  assert.equal(nextCheckAt(deadlines), 1_050)
  assert.equal(isDue(10, 1_049, deadlines, rules), false)
  assert.equal(isDue(10, 1_050, deadlines, rules), true)
  assert.equal(isDue(20_000, 1_001, deadlines, rules), true)
})

test('three bridges: the age scales to 150 ms; with earlyRows a large batch goes at the unscaled 50 ms', () => {
  assert.deepEqual(deadlinesFor(1_000, rules, 3), { dueAt: 1_150, earlyAt: 1_150 })
  const early = { ...rules, earlyRows: 1_000 }
  const deadlines = deadlinesFor(1_000, early, 3)
  assert.deepEqual(deadlines, { dueAt: 1_150, earlyAt: 1_050 })
  assert.equal(nextCheckAt(deadlines), 1_050)
  assert.equal(isDue(999, 1_060, deadlines, early), false, 'small: waits for the scaled age')
  assert.equal(isDue(1_000, 1_060, deadlines, early), true, 'large and past the unscaled age')
  assert.equal(isDue(1_000, 1_040, deadlines, early), false, 'large but younger than the unscaled age')
  assert.equal(isDue(1, 1_150, deadlines, early), true)
})

test('a scale below 1 never shortens the age bound', () => {
  assert.deepEqual(deadlinesFor(0, rules, 0.5), { dueAt: 50, earlyAt: 50 })
})

test('as messages are added: full at maxRows, or at exactly earlyRows once past the early check', () => {
  const early = { ...rules, earlyRows: 1_000 }
  const deadlines = deadlinesFor(1_000, early, 3)
  assert.equal(filledUp(20_000, 1_001, deadlines, early), true, 'full')
  assert.equal(filledUp(1_000, 1_040, deadlines, early), false, 'large enough, before the early check')
  assert.equal(filledUp(1_000, 1_060, deadlines, early), true, 'reaches earlyRows past the early check')
  assert.equal(
    filledUp(1_001, 1_060, deadlines, early),
    false,
    'past earlyRows: the timer flushes it, not each add'
  )
  assert.equal(filledUp(500, 1_060, deadlines, rules), false, 'earlyRows 0: never early')
})
