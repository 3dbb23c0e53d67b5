import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sendPaced, type OutgoingRecord } from '../../src/sim/kafka-load.ts'

const records = (from: number, n: number): OutgoingRecord[] =>
  Array.from({ length: n }, (_, i) => ({ topic: 't', key: 'k', value: String(from + i) }))

test('sendPaced sends a source dry as fast as possible, in order, in batches of at most maxBatch', async () => {
  let next = 0
  const batches: string[][] = []
  const result = await sendPaced(
    async (batch) => void batches.push(batch.map((r) => r.value)),
    (max) => {
      const n = Math.min(max, 2500 - next)
      next += n
      return records(next - n, n)
    },
    { rate: null, maxBatch: 1000 }
  )
  assert.equal(result.sent, 2500)
  assert.deepEqual(
    batches.map((b) => b.length),
    [1000, 1000, 500]
  )
  assert.deepEqual(
    batches.flat(),
    Array.from({ length: 2500 }, (_, i) => String(i))
  )
})

test('sendPaced keeps to the rate and stops at count', async () => {
  let sends = 0
  let total = 0
  const started = Date.now()
  const result = await sendPaced(
    async () => void sends++,
    (max) => records(0, max),
    { rate: 2000, count: 600, tickMs: 5, onSent: (n) => (total = n) }
  )
  const seconds = (Date.now() - started) / 1000
  assert.equal(result.sent, 600)
  assert.equal(total, 600)
  assert.ok(seconds >= 0.25, `600 at 2000/s took only ${seconds} s`)
  assert.ok(sends > 1, 'sent in one burst instead of paced')
})

test('sendPaced stops when aborted, and a failed send fails it', async () => {
  const abort = new AbortController()
  const result = await sendPaced(
    async () => abort.abort(),
    (max) => records(0, max),
    { rate: null, maxBatch: 10, signal: abort.signal }
  )
  assert.equal(result.sent, 10)
  await assert.rejects(
    sendPaced(
      async () => {
        throw new Error('broker says no')
      },
      (max) => records(0, max),
      { rate: null }
    ),
    /broker says no/
  )
})
