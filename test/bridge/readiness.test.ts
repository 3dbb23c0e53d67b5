import assert from 'node:assert/strict'
import { test } from 'node:test'
import { bridgeReadiness, type BridgeCondition } from '../../src/bridge/readiness.ts'

const fine: BridgeCondition = {
  stopping: false,
  source: 'consuming',
  partitions: 8,
  kafkaTroubleSince: null,
  stalledSince: null,
  writesFailingSince: null,
  writeGraceMs: 10_000,
  now: 100_000,
  troubleGraceMs: 2_000
}

test('a bridge is ready only while it consumes partitions with Kafka reachable and not stalled', () => {
  assert.deepEqual(bridgeReadiness(fine), { ready: true })
  const notReady = (change: Partial<BridgeCondition>) => bridgeReadiness({ ...fine, ...change })
  assert.match(notReady({ stopping: true }).reason ?? '', /stopping/)
  assert.match(notReady({ source: 'reconnecting' }).reason ?? '', /reconnecting/)
  assert.match(notReady({ source: 'failed' }).reason ?? '', /for good/)
  assert.match(notReady({ partitions: 0 }).reason ?? '', /no partitions/)
  assert.match(notReady({ stalledSince: 50_000 }).reason ?? '', /stalled/)
  assert.match(notReady({ kafkaTroubleSince: 90_000 }).reason ?? '', /Kafka unreachable: .* 10 s/)
  assert.deepEqual(notReady({ kafkaTroubleSince: 99_000 }), { ready: true }, 'a short hiccup is tolerated')
  assert.match(notReady({ writesFailingSince: 80_000 }).reason ?? '', /writes failing for 20 s/)
  assert.deepEqual(
    notReady({ writesFailingSince: 95_000 }),
    { ready: true },
    'a ClickHouse restart is tolerated'
  )
})

test('a bridge reading NATS: ready while connected, whatever Kafka partitions it has', () => {
  const nats = { state: 'consuming' as const, troubleSince: null }
  const natsOnly = { ...fine, readsKafka: false, source: 'starting' as const, partitions: 0, nats }
  assert.deepEqual(bridgeReadiness(natsOnly), { ready: true }, 'the unused Kafka consumer does not count')
  assert.match(
    bridgeReadiness({ ...natsOnly, nats: { state: 'reconnecting', troubleSince: 90_000 } }).reason ?? '',
    /NATS unreachable for 10 s/
  )
  assert.deepEqual(
    bridgeReadiness({ ...natsOnly, nats: { state: 'reconnecting', troubleSince: 99_000 } }),
    { ready: true },
    'a short reconnect is tolerated'
  )
  assert.match(bridgeReadiness({ ...natsOnly, writesFailingSince: 80_000 }).reason ?? '', /writes failing/)
  const both = { ...fine, partitions: 0, nats }
  assert.deepEqual(bridgeReadiness(both), { ready: true }, 'no partitions, but the shared NATS consumer')
  assert.match(bridgeReadiness({ ...both, source: 'reconnecting' }).reason ?? '', /Kafka consumer lost/)
})
