import assert from 'node:assert/strict'
import { test } from 'node:test'
import { kcatUsable } from '../../src/sim/kcat-sender.ts'
import { openTransport } from '../../src/sim/load-transport.ts'
import type { OutgoingRecord } from '../../src/sim/kafka-load.ts'
import { readTopic } from '../helpers/kafka-read.ts'
import { testEnv } from '../helpers/stack.ts'

test('the kcat load transport delivers every record to the partition the loadtest counts it in', async (t) => {
  const env = await testEnv(t)
  assert.ok(
    kcatUsable(env.config.kafka),
    'kcat is not on PATH: install it (Debian: apt-get install kcat), as .ci/run does'
  )
  const topic = env.config.topics.trades
  const transport = await openTransport(env.config, 'kafka', 'tickbridge-test-kcat', [topic], 'kcat')
  const records: OutgoingRecord[] = Array.from({ length: 300 }, (_, i) => ({
    topic,
    key: `loadtest:SYM${i % 37}-${i % 5}`,
    value: JSON.stringify({ n: i })
  }))
  try {
    assert.equal(transport.client, 'kcat')
    await transport.send(records.slice(0, 150))
    await transport.send(records.slice(150))
    // kcat took the records; flush waits until it delivered them and exited.
    await transport.flush()
  } finally {
    await transport.close()
  }
  const read = await readTopic(env.config, topic, records.length)
  assert.equal(read.length, records.length)
  const expected = new Map(records.map((r) => [r.key, transport.partitionOf(r)]))
  for (const message of read)
    assert.equal(`${topic}:${message.partition}`, expected.get(message.key ?? ''), `key ${message.key}`)
  // Every value arrived once, in order within its key.
  assert.deepEqual(
    read.map((m) => (JSON.parse(m.value) as { n: number }).n).sort((a, b) => a - b),
    records.map((_, i) => i)
  )
})
