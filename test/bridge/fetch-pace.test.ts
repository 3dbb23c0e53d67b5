import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ALIGN_LEAD_MS, FetchPace } from '../../src/bridge/fetch-pace.ts'

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
  pace.install(consumer)
  pace.apply(consumer, 'idle')
  assert.deepEqual(options, { minBytes: 1, maxWaitTime: 250, maxBytes: 2_097_152 })
  pace.apply(consumer, 'busy')
  assert.deepEqual(options, { minBytes: 65_536, maxWaitTime: 20, maxBytes: 2_097_152 })
})

test('aligned to the batch, a fetch waits until just before the open batch is due, never less than configured', async () => {
  const { kOptions } = await import('@platformatic/kafka')
  const options = { minBytes: 65_536, maxWaitTime: 20 }
  const consumer = { [kOptions]: options } as never
  let dueAt: number | null = null
  const pace = new FetchPace(250, () => dueAt)
  pace.install(consumer)
  const now = Date.now()
  assert.equal(pace.waitMs(now), 20, 'no batch open: the configured wait')
  dueAt = now + 150
  assert.equal(pace.waitMs(now), 150 - ALIGN_LEAD_MS, 'lands just before the batch is due')
  dueAt = now + 15
  assert.equal(pace.waitMs(now), 20, 'a batch due sooner than the configured wait: that wait')
  // The library reads the option at each fetch it builds: a getter answering for that moment.
  dueAt = Date.now() + 400
  assert.ok(options.maxWaitTime > 300 && options.maxWaitTime <= 400 - ALIGN_LEAD_MS, `${options.maxWaitTime}`)
  options.maxWaitTime = 5 // a write does not replace the rule
  assert.ok(options.maxWaitTime > 300, `${options.maxWaitTime}`)
  assert.equal(pace.next(0), null)
  assert.equal(pace.next(0), 'idle')
  pace.apply(consumer, 'idle')
  assert.deepEqual({ ...options }, { minBytes: 1, maxWaitTime: 250 }, 'idle: 1 byte and the long wait')
  assert.equal(pace.next(5), 'busy')
  pace.apply(consumer, 'busy')
  assert.equal(options.minBytes, 65_536)
  assert.ok(options.maxWaitTime > 300, 'busy again: aligned')
})

test('without an idle wait the pace never idles (alignment alone)', () => {
  const pace = new FetchPace(0, () => null)
  assert.equal(pace.next(0), null)
  assert.equal(pace.next(0), null)
})

test('with a fetch per broker in flight, the batch waits for every fetch timed to it, and a lost one is forgotten', async () => {
  const { kOptions } = await import('@platformatic/kafka')
  const options = { minBytes: 65_536, maxWaitTime: 20 }
  const consumer = { [kOptions]: options } as never
  let dueAt: number | null = null
  const pace = new FetchPace(0, () => dueAt)
  pace.install(consumer)
  const now = Date.now()
  assert.equal(pace.waitMs(now), 20, 'broker 1: built while no batch was open')
  dueAt = now + 150
  pace.waitMs(now) // broker 2, timed to the batch
  pace.waitMs(now + 1) // broker 3, timed to the batch
  const batchDue = dueAt
  assert.equal(pace.landingBefore(batchDue), true)
  pace.landed() // the first due to land: broker 1's 20 ms fetch
  assert.equal(
    pace.landingBefore(batchDue),
    true,
    "broker 1's landing is not one of those timed to the batch"
  )
  pace.landed()
  assert.equal(
    pace.landingBefore(dueAt),
    true,
    "broker 3's fetch is still on its way: the batch waits for it"
  )
  assert.equal(pace.landingBefore(dueAt - 1), false, 'timed to that batch, not to an earlier one')
  pace.landed()
  assert.equal(pace.landingBefore(batchDue), false, 'all landed: the landing flushes the batch')
  pace.landed() // a landing the pace did not see built (an error path) changes nothing
  assert.equal(pace.landingBefore(batchDue), false)

  // A fetch that never lands (retried inside the client) is forgotten a second after it should have landed.
  const longAgo = Date.now() - 1_300
  dueAt = longAgo + 200
  assert.equal(pace.waitMs(longAgo), 200 - ALIGN_LEAD_MS, 'timed to a batch, to land 1.1 s ago')
  assert.equal(pace.landingBefore(dueAt), false, 'overdue by more than a second: not waited for')
  dueAt = Date.now() + 150
  pace.reset()
  pace.waitMs(Date.now())
  assert.equal(pace.landingBefore(dueAt), true)
  pace.reset()
  assert.equal(pace.landingBefore(dueAt), false, 'a new consumer has nothing in flight')
})
