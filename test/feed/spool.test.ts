import assert from 'node:assert/strict'
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { DiskSpool, type OutgoingMessage } from '../../src/feed/spool.ts'

const messages = (from: number, n: number): OutgoingMessage[] =>
  Array.from({ length: n }, (_, i) => ({ topic: 't', key: `k${(from + i) % 3}`, value: `{"n":${from + i}}` }))
const numbers = (list: OutgoingMessage[]) => list.map((m) => (JSON.parse(m.value) as { n: number }).n)

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'tb-spool-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

test('segments come back oldest first, in order, and a prepend goes in front of everything', (t) => {
  const dir = tempDir(t)
  const spool = DiskSpool.open(dir, { segmentMessages: 100, maxBytes: 10_000_000 })
  assert.equal(spool.append(messages(100, 250)), 250)
  assert.equal(spool.messages, 250)
  spool.prepend(messages(0, 100))
  const seen: number[] = []
  for (let segment = spool.takeOldest(); segment; segment = spool.takeOldest()) {
    seen.push(...numbers(segment.messages))
    spool.release(segment.path)
  }
  assert.deepEqual(
    seen,
    Array.from({ length: 350 }, (_, i) => i)
  )
  assert.equal(spool.bytes, 0)
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.ndjson')),
    [],
    'released segments are deleted'
  )
  spool.close()
})

test('what a run leaves on disk is found by the next run of the same instance, in order', (t) => {
  const dir = tempDir(t)
  const first = DiskSpool.open(dir, { segmentMessages: 40, maxBytes: 10_000_000 })
  first.append(messages(50, 100))
  const taken = first.takeOldest() // read back but never acknowledged: must come back next run
  assert.equal(taken?.messages.length, 40)
  first.prepend(messages(0, 50))
  first.close()

  const second = DiskSpool.open(dir, { segmentMessages: 40, maxBytes: 10_000_000 })
  assert.equal(second.messages, 150)
  const seen: number[] = []
  for (let segment = second.takeOldest(); segment; segment = second.takeOldest()) {
    seen.push(...numbers(segment.messages))
    second.release(segment.path)
  }
  assert.deepEqual(seen, [
    ...Array.from({ length: 50 }, (_, i) => i),
    ...Array.from({ length: 100 }, (_, i) => 50 + i)
  ])
  second.close()
})

test('past maxBytes the spool takes only what fits, and says how many', (t) => {
  const spool = DiskSpool.open(tempDir(t), { segmentMessages: 10, maxBytes: 1000 })
  const written = spool.append(messages(0, 100))
  assert.ok(written > 0 && written < 100, `${written} written`)
  assert.ok(spool.bytes <= 1000)
  assert.equal(spool.messages, written)
  spool.close()
})

test('a spool held by another live process is refused with the reason and what to do', (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'lock'), String(process.ppid))
  assert.throws(
    () => DiskSpool.open(dir, { segmentMessages: 10, maxBytes: 1000 }),
    (error: Error & { hint?: string }) =>
      error.message.includes(`in use by process ${process.ppid}`) && /instance id/.test(error.hint ?? '')
  )
  writeFileSync(join(dir, 'lock'), '999999999') // a process that is gone
  DiskSpool.open(dir, { segmentMessages: 10, maxBytes: 1000 }).close()
})

// Before: a torn line (a crash or a full disk mid-write) made JSON.parse throw when the segment was read back,
// and the feed crashed as soon as Kafka came back (found by the fault suite, scenario g).
test('a torn line in a segment is skipped and counted; the messages around it come back', (t) => {
  const dir = tempDir(t)
  const spool = DiskSpool.open(dir, { segmentMessages: 100, maxBytes: 10_000_000 })
  spool.append(messages(0, 10))
  const [file] = readdirSync(dir).filter((f) => f.endsWith('.ndjson'))
  appendFileSync(join(dir, file!), '{"topic":"t","value":"{\\"n\\":10 torn\n')
  spool.append(messages(11, 5))
  spool.close()

  const reopened = DiskSpool.open(dir, { segmentMessages: 100, maxBytes: 10_000_000 })
  const segment = reopened.takeOldest()
  assert.ok(segment)
  assert.equal(segment.unreadable, 1)
  assert.deepEqual(numbers(segment.messages), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15])
})

test('a segment removed under the spool is a counted gap, never a throw into the send path', (t) => {
  const dir = tempDir(t)
  const spool = DiskSpool.open(dir, { segmentMessages: 100, maxBytes: 10_000_000 })
  assert.equal(spool.append(messages(0, 150)), 150)
  const [first] = readdirSync(dir)
    .filter((f) => f.endsWith('.ndjson'))
    .sort()
  rmSync(join(dir, first as string))

  const gone = spool.takeOldest()
  assert.deepEqual(gone && { n: gone.messages.length, unreadable: gone.unreadable }, {
    n: 0,
    unreadable: 100
  })
  assert.doesNotThrow(() => spool.release((gone as { path: string }).path), 'releasing it again is harmless')
  const rest = spool.takeOldest()
  assert.deepEqual(
    numbers(rest?.messages ?? []),
    Array.from({ length: 50 }, (_, i) => 100 + i)
  )
  spool.release((rest as { path: string }).path)
  assert.equal(spool.bytes, 0, 'the byte count stays true')
  spool.close()
})

test('a segment that can be neither read nor removed is a counted gap and stays counted, once', (t) => {
  const dir = tempDir(t)
  const spool = DiskSpool.open(dir, { segmentMessages: 100, maxBytes: 10_000_000 })
  assert.equal(spool.append(messages(0, 100)), 100)
  const bytes = spool.bytes
  const [segment] = readdirSync(dir).filter((f) => f.endsWith('.ndjson'))
  rmSync(join(dir, segment as string))
  mkdirSync(join(dir, segment as string)) // EISDIR to a read, EISDIR / EPERM to an unlink

  const taken = spool.takeOldest()
  assert.equal(taken?.unreadable, 100)
  assert.doesNotThrow(() => spool.release((taken as { path: string }).path))
  assert.doesNotThrow(() => spool.release((taken as { path: string }).path))
  assert.equal(spool.bytes, bytes, 'still on disk, so still counted; never subtracted twice')
  spool.close()
})
