import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { DepthMessage } from '../../src/core/messages.ts'
import { startFeed } from '../../src/feed/run.ts'
import { createAdmin } from '../../src/kafka/clients.ts'
import { endOffsets } from '../../src/kafka/lag.ts'
import { wallexV1 } from '../../src/sim/protocols/wallex.ts'
import { startSimServer } from '../../src/sim/server.ts'
import { readTopic } from '../helpers/kafka-read.ts'
import { eventually, silentLog, testEnv } from '../helpers/stack.ts'

const SEND_MS = 30_000
const UPDATES_PER_SECOND = 10
const THROTTLE_MS = 7_000 // the feed's default (`tickbridge feed --depth-interval`)
const SYMBOLS = ['BTCUSDT', 'ETHUSDT']

/**
 * The throttle emits a snapshot when both sides are known and THROTTLE_MS have passed since the last one. The
 * first comes with the first pair of sides (t = 0), then one with the first update at or after each 7 s
 * step: t = 0, 7, 14, 21, 28 s within 30 s of updates.
 */
const EXPECTED_PER_SYMBOL = Math.floor(SEND_MS / THROTTLE_MS) + 1

test(`depth throttle: ${UPDATES_PER_SECOND} updates/s per side for ${SEND_MS / 1000} s become ~${EXPECTED_PER_SYMBOL} whole snapshots per symbol in Kafka`, async (t) => {
  const env = await testEnv(t)
  const server = await startSimServer(
    wallexV1,
    { port: 0, tradesPerSecond: 5, bookEveryMs: 1000 / UPDATES_PER_SECOND, seed: 7 },
    silentLog
  )
  const feed = await startFeed(
    env.config,
    {
      exchange: 'wallex',
      url: server.url,
      protocol: 1,
      symbols: SYMBOLS,
      depthIntervalMs: THROTTLE_MS,
      instanceId: `test-feed-${env.id}`,
      statsIntervalMs: 0
    },
    silentLog
  )
  let stopped = false
  t.after(async () => {
    if (!stopped) await feed.stop()
    await server.close()
  })
  await eventually(
    async () => feed.connection.connected,
    () => 'the feed did not connect to the simulator',
    10_000
  )
  await sleep(SEND_MS)
  await server.close() // the exchange stops sending: nothing more to throttle
  stopped = true
  await feed.stop() // flushes what the feed produced

  const admin = createAdmin(env.config.kafka)
  const ends = await endOffsets(admin, [env.config.topics.depth]).finally(() => admin.close())
  const inTopic = Number([...ends.values()].reduce((sum, end) => sum + end, 0n))
  assert.ok(inTopic > 0, 'the feed produced depth snapshots')
  const snapshots = (await readTopic(env.config, env.config.topics.depth, inTopic)).map(
    (m) => JSON.parse(m.value) as DepthMessage
  )
  for (const symbol of SYMBOLS) {
    const ofSymbol = snapshots.filter((s) => s.symbol === symbol)
    assert.ok(
      Math.abs(ofSymbol.length - EXPECTED_PER_SYMBOL) <= 1,
      `${symbol}: ${ofSymbol.length} snapshots, expected ${EXPECTED_PER_SYMBOL} ± 1`
    )
    for (const snapshot of ofSymbol) {
      assert.equal(snapshot.type, 'depth')
      assert.ok(snapshot.bids.length > 0 && snapshot.asks.length > 0, 'each snapshot combines both sides')
    }
    const gaps = ofSymbol.slice(1).map((s, i) => s.ts - ofSymbol[i]!.ts)
    t.diagnostic(`${symbol}: ${ofSymbol.length} snapshots, ms apart: ${gaps.join(', ')}`)
    assert.ok(
      gaps.every((gap) => gap >= THROTTLE_MS),
      `snapshots at least ${THROTTLE_MS} ms apart: ${gaps.join(', ')}`
    )
  }
  assert.equal(snapshots.length, feed.publisher.counts.get('depth'), 'Kafka holds what the feed produced')
})
