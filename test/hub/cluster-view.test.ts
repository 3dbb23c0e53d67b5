import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Heartbeat } from '../../src/core/heartbeat.ts'
import { ClusterView } from '../../src/hub/cluster-view.ts'
import { fakeHeartbeat } from '../helpers/hub.ts'

// Server-free: the hub's view of worker pools (backpressure per pool, lag per pool's group).
const G = 'tickbridge-bridge'
const inPool = (id: string, pool: string, topics: string[], overrides: Partial<Heartbeat> = {}) =>
  fakeHeartbeat(id, { pool: { name: pool, group: `${G}-${pool}`, topics }, ...overrides })
const paused = { pressure: { local: 'paused', effective: 'paused', transitions: 1 } } as const

test('a depth bridge past its watermark holds back the depth pool only; the trades pool keeps flowing', () => {
  const view = new ClusterView({ deadAfterMs: 5_000, historyMs: 60_000, insertLatencyLimitMs: 2_000 })
  const now = Date.now()
  const trades = inPool('tickbridge-bridge-trades-1', 'trades', ['m.trades', 'm.candles'])
  const depth = inPool('tickbridge-bridge-depth-1', 'depth', ['m.depth', 'm.quotes'])
  view.heartbeat(trades, now)
  view.heartbeat(depth, now)
  const held = view.heartbeat({ ...depth, ...paused }, now + 1)
  assert.deepEqual(held, {
    backpressure: {
      hold: true,
      reason: 'tickbridge-bridge-depth-1 is past its high watermark (0/50000 buffered)'
    },
    deadAfterMs: 5_000
  })
  const flowing = view.heartbeat(trades, now + 2)
  assert.ok('backpressure' in flowing && !flowing.backpressure.hold, 'the trades pool is not held')
  const cluster = view.cluster()
  assert.equal(cluster.backpressure.hold, true)
  assert.deepEqual(
    cluster.backpressure.pools.map((p) => [p.pool, p.hold]),
    [
      ['depth', true],
      ['trades', false]
    ]
  )
  const events = view.registry.events(0).filter((e) => e.kind.startsWith('backpressure'))
  assert.match(events.at(-1)?.detail ?? '', /^pool depth holds back: tickbridge-bridge-depth-1 is past/)

  view.heartbeat(depth, now + 3)
  assert.equal(view.cluster().backpressure.hold, false)
  assert.match(view.registry.events(0).at(-1)?.detail ?? '', /every instance of pool depth is clear/)
})

test('bridges without a pool are the pool `all` and hold back together, as before pools', () => {
  const view = new ClusterView({ deadAfterMs: 5_000, historyMs: 60_000, insertLatencyLimitMs: 2_000 })
  const now = Date.now()
  view.heartbeat(fakeHeartbeat('a'), now)
  view.heartbeat({ ...fakeHeartbeat('b'), ...paused }, now)
  const reply = view.heartbeat(fakeHeartbeat('a'), now + 1)
  assert.ok('backpressure' in reply && reply.backpressure.hold)
  assert.match(view.registry.events(0).at(-1)?.detail ?? '', /^cluster holds back: b is past/)
})

test("lag is polled per pool's group, each partition owned within its own group", () => {
  const view = new ClusterView({ deadAfterMs: 5_000, historyMs: 60_000, insertLatencyLimitMs: 2_000 })
  const fallback = { pool: 'all', group: G, topics: ['m.trades', 'm.depth', 'm.quotes', 'm.candles'] }
  assert.deepEqual(view.lagGroups(fallback), [fallback], 'no bridge yet: the bridge group')
  const now = Date.now()
  view.heartbeat(inPool('t1', 'trades', ['m.trades', 'm.candles'], { partitions: ['m.trades:0'] }), now)
  view.heartbeat(inPool('d1', 'depth', ['m.depth', 'm.quotes'], { partitions: ['m.depth:0'] }), now)
  const groups = view.lagGroups(fallback)
  assert.deepEqual(
    groups.map((g) => [g.pool, g.group, g.topics.join(',')]),
    [
      ['depth', `${G}-depth`, 'm.depth,m.quotes'],
      ['trades', `${G}-trades`, 'm.trades,m.candles']
    ]
  )
  const partition = (topic: string, lag: number) => ({
    topic,
    partition: 0,
    committed: 10n,
    end: 10n + BigInt(lag),
    lag: BigInt(lag)
  })
  view.setLag(
    [
      { ...groups[0]!, partitions: [partition('m.depth', 7)] },
      { ...groups[1]!, partitions: [partition('m.trades', 0)] }
    ],
    G
  )
  assert.deepEqual(
    view.lag.map((p) => [p.pool, p.topic, p.lag, p.owner]),
    [
      ['depth', 'm.depth', 7, 'd1'],
      ['trades', 'm.trades', 0, 't1']
    ]
  )
  assert.deepEqual(view.cluster().lag.pools, [
    { pool: 'depth', group: `${G}-depth`, lag: 7 },
    { pool: 'trades', group: `${G}-trades`, lag: 0 }
  ])
})
