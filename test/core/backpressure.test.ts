import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PressureStates, WatermarkPolicy } from '../../src/core/backpressure.ts'

const { FLOWING, PAUSED } = PressureStates

test('defaults (50,000, 80 %, 40 %): pause at 40,000, resume only at 20,000', () => {
  const policy = new WatermarkPolicy(50_000, 0.8, 0.4)
  assert.equal(policy.decide(0), FLOWING)
  assert.equal(policy.decide(39_999), FLOWING)
  assert.equal(policy.decide(40_000), PAUSED)
  assert.equal(policy.decide(45_000), PAUSED)
  // Hysteresis: below the high watermark but above the low one stays paused.
  assert.equal(policy.decide(39_999), PAUSED)
  assert.equal(policy.decide(20_001), PAUSED)
  assert.equal(policy.decide(20_000), FLOWING)
  // And flowing stays flowing until the high watermark again.
  assert.equal(policy.decide(39_999), FLOWING)
  assert.equal(policy.decide(50_000), PAUSED)
  assert.equal(policy.decide(0), FLOWING)
})

test('a jump straight past the high watermark pauses; a drop straight to zero resumes', () => {
  const policy = new WatermarkPolicy(100, 0.8, 0.4)
  assert.equal(policy.decide(1_000), PAUSED)
  assert.equal(policy.decide(41), PAUSED)
  assert.equal(policy.decide(0), FLOWING)
})

test('fractional watermarks round outward (pause no earlier, resume no later than asked)', () => {
  const policy = new WatermarkPolicy(10, 0.75, 0.35) // 7.5 -> 8, 3.5 -> 3
  assert.equal(policy.decide(7), FLOWING)
  assert.equal(policy.decide(8), PAUSED)
  assert.equal(policy.decide(4), PAUSED)
  assert.equal(policy.decide(3), FLOWING)
})

test('instances keep their own state', () => {
  const a = new WatermarkPolicy(10, 0.8, 0.4)
  const b = new WatermarkPolicy(10, 0.8, 0.4)
  assert.equal(a.decide(9), PAUSED)
  assert.equal(b.decide(5), FLOWING)
  assert.equal(a.decide(5), PAUSED)
})
