import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { restAfterRefresh } from '../../src/bridge/candle-refresher.ts'
import { CoalescedRuns } from '../../src/bridge/coalesced-runs.ts'

/** Runs that each take `runMs` and record when they started and ended, over sets of numbers. */
function recordedRuns(runMs: number, restAfterMs?: (runMs: number) => number) {
  const runs: { work: number[]; start: number; end: number }[] = []
  const coalesced = new CoalescedRuns<Set<number>, void>({
    empty: () => new Set(),
    merge: (into, more) => more.forEach((n) => into.add(n)),
    minIntervalMs: () => 0,
    ...(restAfterMs ? { restAfterMs } : {}),
    run: async (work) => {
      const start = performance.now()
      await sleep(runMs)
      runs.push({ work: [...work].sort(), start, end: performance.now() })
    }
  })
  return { runs, request: (...n: number[]) => coalesced.request(new Set(n)) }
}

test('CoalescedRuns: requests made while a run is under way are merged into the next run, which starts after it', async () => {
  // No interval: only the run under way holds the next back (two at once would only compete for the server).
  const { runs, request } = recordedRuns(100)
  const first = request(1)
  await sleep(10) // the first run has started with [1]
  await Promise.all([first, request(2), request(3)])
  assert.deepEqual(
    runs.map((r) => r.work),
    [[1], [2, 3]]
  )
  const gap = runs[1]!.start - runs[0]!.end
  assert.ok(gap >= 0, `the second run started ${(-gap).toFixed(0)} ms before the first ended`)
  assert.ok(
    gap < 100,
    `the second run started ${gap.toFixed(0)} ms after the first ended, without cause to wait`
  )
})

test('CoalescedRuns: after a slow run the next waits the rest it asks for, so runs cannot fill all the time', async () => {
  // A run of ~150 ms asks for twice its length: the next starts ≥ 300 ms after it ended.
  const spaced = recordedRuns(150, (runMs) => runMs * 2)
  const first = spaced.request(1)
  await sleep(10)
  await Promise.all([first, spaced.request(2)])
  const gap = spaced.runs[1]!.start - spaced.runs[0]!.end
  assert.ok(gap >= 290, `the second run started ${gap.toFixed(0)} ms after the first ended (≥ 300 asked)`)
})

test('restAfterRefresh: keeps refreshes to their share of the time; none at share 1', () => {
  assert.equal(restAfterRefresh(1000, 1), 0)
  assert.equal(restAfterRefresh(1000, 0.5), 1000) // busy half the time
  assert.equal(Math.round(restAfterRefresh(600, 0.5 / 3)), 3000) // 3 bridges sharing 50 %: 5 × the run
})
