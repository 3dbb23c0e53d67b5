import assert from 'node:assert/strict'
import { test } from 'node:test'
import { settleWithin } from '../src/settle-within.ts'

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length

test('settleWithin: true once the work settles, fulfilled or rejected, and no timer is left behind', async () => {
  const before = timers()
  assert.equal(await settleWithin(Promise.resolve('done'), 60_000), true)
  assert.equal(await settleWithin(Promise.reject(new Error('close failed')), 60_000), true)
  assert.equal(timers(), before, 'the 60 s timers were cleared: nothing keeps the process alive')
})

test('settleWithin: false when the time runs out first', async () => {
  const started = performance.now()
  assert.equal(await settleWithin(new Promise(() => undefined), 50), false)
  assert.ok(performance.now() - started >= 45, 'it waited the time given')
})
