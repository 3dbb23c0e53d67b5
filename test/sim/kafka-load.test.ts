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

test('sendPaced at a rate sends once per tick, not whenever the last send returned, unless a full batch is due', async () => {
  const sizes: number[] = []
  const result = await sendPaced(
    async (batch) => void sizes.push(batch.length),
    (max) => records(0, max),
    { rate: 10_000, durationMs: 400, tickMs: 20, maxBatch: 10_000 }
  )
  // ~20 ticks in 400 ms; a send that returns at once used to be followed by another for the few messages due since.
  assert.ok(sizes.length <= 24, `${sizes.length} sends in 400 ms with a 20 ms tick`)
  assert.ok(result.sent >= 3_000, `kept to the rate: ${result.sent} sent in 400 ms at 10,000/s`)
  // Behind (a full batch due): no waiting for the tick.
  const behind: number[] = []
  await sendPaced(
    async (batch) => void behind.push(batch.length),
    (max) => records(0, max),
    { rate: 1_000_000, count: 50_000, tickMs: 200, maxBatch: 1_000 }
  )
  assert.ok(behind.length >= 50 && behind.every((n) => n <= 1_000), `${behind.length} sends`)
})
