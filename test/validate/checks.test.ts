import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { InstanceView } from '../../src/core/instance-registry.ts'
import {
  checkCoverage,
  checkDistribution,
  checkDuplicates,
  checkHeartbeats,
  checkInstances,
  checkPartitions,
  laggingPartitions,
  perPool
} from '../../src/validate/checks.ts'
import { fakeHeartbeat } from '../helpers/hub.ts'

const member = (instanceId: string, partitions: string[]) => ({
  instanceId,
  memberId: `m-${instanceId}`,
  host: 'h',
  partitions
})
const view = (
  instanceId: string,
  state: 'alive' | 'dead',
  lastSeen = 1_000,
  messages: Record<string, number> = { trade: 10 }
): InstanceView => ({
  instanceId,
  role: 'bridge',
  state,
  lastSeen,
  lastHeartbeat: fakeHeartbeat(instanceId, { messages }),
  messagesPerSecond: 0,
  byType: {},
  history: []
})

test('partitions: 6 over 3 is 2 each; an unassigned or lopsided topic fails and is named', () => {
  const balanced = [member('a', ['t:0', 't:1']), member('b', ['t:2', 't:3']), member('c', ['t:4', 't:5'])]
  const passed = checkPartitions(balanced, ['t'], 6)
  assert.equal(passed.result, 'pass')
  assert.match(passed.evidence, /6 per topic over 3: a t:0,1; b t:2,3; c t:4,5/)
  const lopsided = [member('a', ['t:0', 't:1', 't:2']), member('b', ['t:3']), member('c', ['t:4', 't:5'])]
  const failed = checkPartitions(lopsided, ['t'], 6)
  assert.equal(failed.result, 'fail')
  assert.match(failed.evidence, /a has 3 of t, expected 2-2/)
  assert.match(checkPartitions([member('a', ['t:0'])], ['t'], 6).evidence, /t: 1 of 6 assigned/)
})

test('instances: the expected count alive, same as the group, unique ids, nobody dead', () => {
  const members = [member('a', []), member('b', [])]
  assert.equal(checkInstances(2, [view('a', 'alive'), view('b', 'alive')], members).result, 'pass')
  const dead = checkInstances(2, [view('a', 'alive'), view('b', 'dead')], [member('a', [])])
  assert.equal(dead.result, 'fail')
  assert.match(dead.evidence, /dead: b/)
  assert.match(
    checkInstances(2, [view('a', 'alive'), view('b', 'alive')], [member('a', []), member('a', [])]).evidence,
    /duplicate instance ids: a/
  )
})

test('distribution: every bridge gets a fair part of the traffic; no traffic is a failure, not a pass', () => {
  assert.equal(
    checkDistribution(
      new Map([
        ['a', 330],
        ['b', 340],
        ['c', 330]
      ])
    ).result,
    'pass'
  )
  const starved = checkDistribution(
    new Map([
      ['a', 500],
      ['b', 490],
      ['c', 10]
    ])
  )
  assert.equal(starved.result, 'fail')
  assert.match(starved.evidence, /^c got 1.0 %, below the 8.3 % floor/)
  assert.match(
    checkDistribution(
      new Map([
        ['a', 0],
        ['b', 0]
      ])
    ).evidence,
    /no traffic/
  )
})

test('heartbeats: every group member fresh at the hub', () => {
  const members = [member('a', []), member('b', [])]
  assert.equal(
    checkHeartbeats(members, [view('a', 'alive', 9_000), view('b', 'alive', 9_500)], 10_000, 5_000).result,
    'pass'
  )
  const stale = checkHeartbeats(members, [view('a', 'alive', 1_000)], 10_000, 5_000)
  assert.equal(stale.result, 'fail')
  assert.match(stale.evidence, /a: last heartbeat 9 s ago; b: no heartbeat at the hub/)
})

test('distribution: a bridge without partitions is idle by design; a partition owner with none is named', () => {
  const deltas = new Map([
    ['a', 500],
    ['b', 480],
    ['c', 0]
  ])
  assert.equal(checkDistribution(deltas, new Set(['a', 'b'])).result, 'pass')
  const failed = checkDistribution(deltas, new Set(['a', 'b', 'c']))
  assert.equal(failed.result, 'fail')
  assert.match(failed.evidence, /^c got no traffic, below the 8.3 % floor/)
})

test('heartbeats: a fresh heartbeat that counts no messages is not evidence of work', () => {
  const result = checkHeartbeats([member('a', [])], [view('a', 'alive', 9_500, {})], 10_000, 5_000)
  assert.equal(result.result, 'fail')
  assert.match(result.evidence, /a: its heartbeat counts no messages yet/)
})

test('duplicates: each distinct row once after FINAL passes; twice fails', () => {
  assert.equal(checkDuplicates(6, 3, 3).result, 'pass')
  const failed = checkDuplicates(6, 3, 6)
  assert.equal(failed.result, 'fail')
  assert.match(failed.evidence, /inserted 6 rows \(3 distinct, each twice\); 6 after FINAL/)
})

test('with worker pools, partitions balance within each pool and a failing pool is named', () => {
  // trades pool: 3 bridges over 6 partitions of 2 topics; depth pool: 2 bridges, 3 each.
  const trades = [0, 1, 2].map((n) =>
    member(`tr${n}`, [`trades:${2 * n}`, `trades:${2 * n + 1}`, `candles:${2 * n}`, `candles:${2 * n + 1}`])
  )
  const depth = [
    member('d0', ['depth:0', 'depth:1', 'depth:2']),
    member('d1', ['depth:3', 'depth:4', 'depth:5'])
  ]
  const balanced = perPool('partitions', [
    { pool: 'trades', result: checkPartitions(trades, ['trades', 'candles'], 6) },
    { pool: 'depth', result: checkPartitions(depth, ['depth'], 6) }
  ])
  assert.equal(balanced.result, 'pass')
  assert.match(balanced.evidence, /^pool trades: 6 per topic over 3: .* \| pool depth: 6 per topic over 2: /)
  const lopsided = perPool('partitions', [
    { pool: 'trades', result: checkPartitions(trades, ['trades', 'candles'], 6) },
    { pool: 'depth', result: checkPartitions([member('d0', ['depth:0']), ...depth.slice(1)], ['depth'], 6) }
  ])
  assert.equal(lopsided.result, 'fail')
  assert.match(lopsided.evidence, /pool depth: depth: 4 of 6 assigned/)
  // Bridges of every type alone: the check reads as it did before pools.
  const all = checkPartitions(depth, ['depth'], 6)
  assert.deepEqual(perPool('partitions', [{ pool: 'all', result: all }]), all)
})

test('coverage: every topic read by exactly one pool', () => {
  const topics = ['trades', 'depth', 'quotes', 'candles']
  const radar = [
    { pool: 'trades', topics: ['trades', 'candles'] },
    { pool: 'depth', topics: ['depth', 'quotes'] }
  ]
  assert.equal(checkCoverage(radar, topics).result, 'pass')
  const gaps = checkCoverage([{ pool: 'trade', topics: ['trades'] }, ...radar.slice(0, 1)], topics)
  assert.equal(gaps.result, 'fail')
  assert.match(gaps.evidence, /trades: read by 2 pools \(trade, trades\); depth: no pool consumes it/)
})

test('failover evidence: the partitions most behind, and whether each one moved (+0: stalled)', () => {
  const at = (partition: number, committed: bigint, end: bigint) => ({
    topic: 'trades',
    partition,
    committed,
    end,
    lag: end - (committed < 0n ? 0n : committed)
  })
  const before = [at(0, 100n, 150n), at(1, 100n, 150n), at(2, -1n, 0n)]
  const now = [at(0, 400n, 450n), at(1, 100n, 450n), at(2, 30n, 60n)]
  assert.equal(
    laggingPartitions(before, now, 2),
    'trades:1 lag 350 (+0 committed), trades:0 lag 50 (+300 committed)'
  )
  assert.equal(
    laggingPartitions(before, now),
    'trades:1 lag 350 (+0 committed), trades:0 lag 50 (+300 committed), trades:2 lag 30 (+30 committed)'
  )
  assert.equal(laggingPartitions(before, [at(0, 450n, 450n)]), '')
})
