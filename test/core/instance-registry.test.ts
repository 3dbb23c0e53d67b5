import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ClusterPressure } from '../../src/core/cluster-pressure.ts'
import { clusterTotals, InstanceRegistry } from '../../src/core/instance-registry.ts'
import { fakeHeartbeat } from '../helpers/hub.ts'

test('registry: join, rates from cumulative counters, death after silence, return, partition changes', () => {
  const registry = new InstanceRegistry({ deadAfterMs: 3_000, historyMs: 60_000 })
  const t0 = 1_000_000
  const beat = (at: number, trades: number, partitions: string[]) =>
    fakeHeartbeat('b1', { sentAt: at, messages: { trade: trades }, partitions })
  assert.deepEqual(
    registry.record(beat(t0, 100, ['t:0']), t0).map((e) => e.kind),
    ['joined']
  )
  assert.deepEqual(registry.record(beat(t0 + 1_000, 600, ['t:0']), t0 + 1_000), [])
  assert.equal(registry.instances()[0]?.messagesPerSecond, 500)
  assert.deepEqual(registry.instances()[0]?.byType, { trade: 500 })
  assert.deepEqual(
    registry.record(beat(t0 + 2_000, 900, ['t:0', 't:1']), t0 + 2_000).map((e) => e.kind),
    ['partitions-changed']
  )

  assert.deepEqual(registry.sweep(t0 + 4_999), [], 'not dead before the timeout')
  assert.deepEqual(
    registry.sweep(t0 + 5_001).map((e) => [e.kind, e.instanceId]),
    [['died', 'b1']]
  )
  assert.equal(registry.instances()[0]?.state, 'dead')
  assert.equal(registry.instances()[0]?.messagesPerSecond, 0, 'a dead instance has no rate')
  assert.deepEqual(registry.alive(), [])
  assert.deepEqual(clusterTotals(registry.instances()).instances, { alive: 0, dead: 1 })

  assert.deepEqual(
    registry.record(beat(t0 + 8_000, 1_000, ['t:0', 't:1']), t0 + 8_000).map((e) => e.kind),
    ['returned']
  )
  assert.deepEqual(
    registry.events().map((e) => e.kind),
    ['joined', 'partitions-changed', 'died', 'returned']
  )
})

test('a restarted process (new pid) starts a new history and reports no bogus rate', () => {
  const registry = new InstanceRegistry({ deadAfterMs: 3_000, historyMs: 60_000 })
  registry.record(fakeHeartbeat('b1', { pid: 1, sentAt: 1_000, messages: { trade: 5_000 } }), 1_000)
  registry.record(fakeHeartbeat('b1', { pid: 2, sentAt: 2_000, messages: { trade: 10 } }), 2_000)
  const [view] = registry.instances()
  assert.equal(view?.messagesPerSecond, 0)
  assert.equal(view?.history.length, 1)
})

test('cluster pressure: any bridge past its watermark or too slow holds everyone; release has hysteresis', () => {
  const pressure = new ClusterPressure(1_000)
  const ok = fakeHeartbeat('a')
  const full = fakeHeartbeat('b', { pressure: { local: 'paused', effective: 'paused', transitions: 1 } })
  assert.deepEqual(pressure.decide([ok]), { hold: false, reason: null, changed: false })
  const held = pressure.decide([ok, full])
  assert.equal(held.hold, true)
  assert.equal(held.changed, true)
  assert.match(held.reason ?? '', /^b is past its high watermark/)
  assert.equal(pressure.decide([ok]).hold, false, 'released when b is clear (or dead)')

  const slow = (mean: number) => fakeHeartbeat('c', { insertLatencyMs: { mean, max: mean } })
  assert.equal(pressure.decide([slow(1_200)]).hold, true)
  assert.match(pressure.reason ?? '', /c insert latency 1200 ms/)
  assert.equal(pressure.decide([slow(700)]).hold, true, 'still above half the limit')
  assert.equal(pressure.decide([slow(400)]).hold, false)
  assert.equal(pressure.decide([slow(900)]).hold, false, 'below the limit does not hold again')
  const feed = fakeHeartbeat('f', {
    role: 'feed',
    pressure: { local: 'paused', effective: 'paused', transitions: 0 }
  })
  assert.equal(pressure.decide([feed]).hold, false, 'feeds never hold the cluster')
})

test('an instance id alive on another process is claimed elsewhere; the same process, or a successor after silence, is not', () => {
  const registry = new InstanceRegistry({ deadAfterMs: 3_000, historyMs: 60_000 })
  const t0 = 1_000_000
  const first = fakeHeartbeat('bridge-x', { pid: 100, host: 'a' })
  registry.record(first, t0)
  assert.equal(registry.claimedElsewhere(first, t0 + 1_000), null, 'its own next heartbeat')
  const twin = fakeHeartbeat('bridge-x', { pid: 200, host: 'a' })
  assert.equal(registry.claimedElsewhere(twin, t0 + 1_000)?.pid, 100, 'a second live process')
  assert.equal(registry.claimedElsewhere(fakeHeartbeat('bridge-x', { pid: 100, host: 'b' }), t0)?.host, 'a')
  assert.equal(registry.claimedElsewhere(twin, t0 + 3_001), null, 'a restart once the old one went silent')
})
