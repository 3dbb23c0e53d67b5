import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBridge } from '../../src/bridge/run.ts'
import type { DeadLetterEnvelope } from '../../src/core/dead-letter.ts'
import { setTopicMaxMessageBytes } from '../helpers/topic-config.ts'
import { createAdmin } from '../../src/kafka/clients.ts'
import { endOffsets } from '../../src/kafka/lag.ts'
import { readTopic } from '../helpers/kafka-read.ts'
import { capturedLog } from '../helpers/logs.ts'
import { produce, testEnv, waitCommittedToEnd } from '../helpers/stack.ts'

const DLQ_LIMIT = 64 * 1024

// Before: the dead-letter batch of a flood grew past the broker's limit, Kafka answered MESSAGE_TOO_LARGE
// (not retriable) and the bridge retried it forever: letters stuck, offsets stuck, backpressure on.
test('30,000 malformed ~1.5 KB messages on one key, some bigger than the DLQ limit: every letter written, offsets reach the end', async (t) => {
  const env = await testEnv(t)
  const { config } = env
  const admin = createAdmin(config.kafka)
  t.after(() => admin.close())
  await setTopicMaxMessageBytes(admin, config.topics.dlq, DLQ_LIMIT)

  const key = 'flood:BTCUSDT'
  const filler = 'x'.repeat(1_300) // 5,000 per produce() stays inside the local broker's 8 MB batch limit
  const messages = Array.from({ length: 30_000 }, (_, i) => ({
    topic: config.topics.trades,
    key,
    value: i % 3_000 === 0 ? `{"v":1,"big":"${'é'.repeat(100_000)}"}` : `{"v":1,"n":${i},"junk":"${filler}"}`
  }))
  await produce(config, messages)
  const { log, text: logText } = capturedLog()
  const bridge = await startBridge(config, log)
  t.after(() => bridge.stop())

  await waitCommittedToEnd(env, [config.topics.trades], 180_000)
  const letters = [...(await endOffsets(admin, [config.topics.dlq])).values()].reduce((a, b) => a + b, 0n)
  assert.equal(letters, 30_000n, 'one letter per malformed message')
  assert.equal(bridge.worker.stats.snapshot().deadLettered, 30_000)

  const read = await readTopic(config, config.topics.dlq, 30_000, 60_000)
  const bodies = read.map((letter) => JSON.parse(letter.value) as DeadLetterEnvelope)
  const truncated = bodies.filter((b) => b.truncated)
  assert.equal(truncated.length, 10, 'the ten oversized messages were cut to fit')
  for (const body of truncated) {
    assert.ok(body.value_bytes > DLQ_LIMIT, 'the original size is recorded')
    assert.match(body.reason, /unknown message type/)
    assert.equal(body.source_topic, config.topics.trades)
    assert.ok(BigInt(body.offset ?? '-1') >= 0n)
  }
  assert.ok(read.every((letter) => Buffer.byteLength(letter.value) <= DLQ_LIMIT))
  assert.ok(bodies.every((b) => b.origin === 'bridge' && b.key === key))
  assert.equal(bridge.worker.pressure, 'flowing')
  assert.doesNotMatch(logText(), /write failed, retrying/, 'nothing was retried blindly')
})
