import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FetchPace } from '../../src/bridge/fetch-pace.ts'

test('the fetch pace long-polls after a look with no new message, and fetches as configured again once messages flow', () => {
  const pace = new FetchPace(250)
  assert.equal(pace.next(0), null, 'a first look only takes the count (a new consumer starts busy)')
  assert.equal(pace.next(0), 'idle', 'nothing received since the last look')
  assert.equal(pace.next(0), null, 'still idle: nothing to change')
  assert.equal(pace.next(3), 'busy', 'messages arrived')
  assert.equal(pace.next(900), null, 'still flowing')
  assert.equal(pace.next(900), 'idle')
  pace.reset()
  assert.equal(
    pace.next(900),
    null,
    'a rebuilt consumer starts busy: the first look after it only takes the count'
  )
  assert.equal(pace.next(900), 'idle')
})

test('the fetch pace writes the consumer options each fetch reads: 1 byte and the long wait, then the ones it was built with', async () => {
  const { kOptions } = await import('@platformatic/kafka')
  const options = { minBytes: 65_536, maxWaitTime: 20, maxBytes: 2_097_152 }
  const consumer = { [kOptions]: options } as never
  const pace = new FetchPace(250)
  pace.apply(consumer, 'idle')
  assert.deepEqual(options, { minBytes: 1, maxWaitTime: 250, maxBytes: 2_097_152 })
  pace.apply(consumer, 'busy')
  assert.deepEqual(options, { minBytes: 65_536, maxWaitTime: 20, maxBytes: 2_097_152 })
})
