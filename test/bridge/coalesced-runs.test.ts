import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { CoalescedRuns, nextAlignedStart, restForShare } from '../../src/bridge/coalesced-runs.ts'

/** Runs that each take `runMs` and record when they started and ended, over sets of numbers. */
function recordedRuns(runMs: number, restAfterMs?: (runMs: number) => number, failing = new Set<number>()) {
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
      for (const n of work) if (failing.delete(n)) throw new Error(`run with ${n} failed`)
    }
  })
  return { runs, request: (...n: number[]) => coalesced.request(new Set(n)), hurry: () => coalesced.hurry() }
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

test('CoalescedRuns: hurry() cuts a rest short (a stopping bridge does not wait it out)', async () => {
  const { runs, request, hurry } = recordedRuns(50, () => 60_000)
  await request(1)
  const second = request(2) // would wait a minute
  await sleep(50)
  const hurried = performance.now()
  hurry()
  await second
  const waited = performance.now() - hurried
  assert.ok(waited < 5000, `the second run came ${waited.toFixed(0)} ms after hurry(), not at once`)
  assert.deepEqual(
    runs.map((r) => r.work),
    [[1], [2]]
  )
})

test('CoalescedRuns: a failed run rejects its callers, and its work goes into the next run', async () => {
  const { runs, request } = recordedRuns(30, undefined, new Set([1]))
  const first = request(1)
  await sleep(5)
  const second = request(2) // asked while the failing run is under way
  await assert.rejects(first, /run with 1 failed/)
  await second
  assert.deepEqual(
    runs.map((r) => r.work),
    [[1], [1, 2]]
  )
})

test('restForShare: keeps runs to their share of the time, at most maxMs; none at share 1', () => {
  assert.equal(restForShare(1000, 1), 0)
  assert.equal(restForShare(1000, 0.5), 1000) // busy half the time
  assert.equal(Math.round(restForShare(600, 0.5 / 3)), 3000) // 3 bridges sharing 50 %: 5 × the run
  assert.equal(restForShare(90_000, 0.5 / 3, 30_000), 30_000) // a refresh that timed out: capped
})

test('nextAlignedStart: the first moment on the shifted grid at or after the earliest', () => {
  assert.equal(nextAlignedStart(10_000, 3_000, 1_000), 10_000, 'on the grid: at once')
  assert.equal(nextAlignedStart(10_001, 3_000, 1_000), 13_000)
  assert.equal(nextAlignedStart(11_500, 3_000, 2_000), 11_000 + 3_000, 'phase 2,000: 2,000, 5,000, … 14,000')
  assert.equal(nextAlignedStart(500, 3_000, 4_000), 1_000, 'a phase past the period wraps')
  assert.equal(nextAlignedStart(500, 0, 1_000), 500, 'no period: no grid')
})

test('CoalescedRuns: with a phase, bridges take turns: each runs on its own slot of a shared grid, one run per interval in all', async () => {
  // Three "bridges", each at most one run per 600 ms, shifted by rank × 200 ms: their runs interleave 200 ms apart.
  // Timers on a busy machine fire late, so the checks are on medians and shares, with margins of a third of a slot.
  const period = 600
  const starts: { rank: number; at: number }[] = []
  const bridges = [0, 1, 2].map(
    (rank) =>
      new CoalescedRuns<Set<number>, void>({
        empty: () => new Set(),
        merge: (into, more) => more.forEach((n) => into.add(n)),
        minIntervalMs: () => period,
        phaseMs: () => rank * 200,
        run: async () => {
          starts.push({ rank, at: Date.now() })
        }
      })
  )
  // Every bridge asks all the time, as busy bridges do.
  const until = Date.now() + 3_000
  await Promise.all(
    bridges.map(async (runs) => {
      while (Date.now() < until) await runs.request(new Set([1]))
    })
  )
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
  const lateness = starts.map(({ rank, at }) => (((at - rank * 200) % period) + period) % period)
  assert.ok(median(lateness) < 70, `runs started a median ${median(lateness)} ms after their slots`)
  // A run a few ms late keeps its next slot (it was pushed a whole period further: every gap 1,200 ms).
  const gaps = [0, 1, 2].flatMap((rank) => {
    const mine = starts.filter((s) => s.rank === rank).map((s) => s.at)
    return mine.slice(1).map((at, i) => at - mine[i]!)
  })
  assert.ok(gaps.length >= 9, `${gaps.length + 3} runs in 3 s`)
  assert.ok(Math.min(...gaps) > period / 2, `two runs of one bridge ${Math.min(...gaps)} ms apart`)
  const onePeriod = gaps.filter((gap) => gap < period * 1.5).length / gaps.length
  assert.ok(
    onePeriod >= 0.75,
    `only ${Math.round(onePeriod * 100)} % of the gaps were one period: ${gaps.join(', ')}`
  )
})
