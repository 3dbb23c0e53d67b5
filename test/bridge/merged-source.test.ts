import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MergedSource } from '../../src/bridge/merged-source.ts'
import { parseSourceMode, sourceFor } from '../../src/bridge/source-mode.ts'
import type { SourceMessage } from '../../src/bridge/ports.ts'
import { partitionKey } from '../../src/core/offset-tracker.ts'
import { ErrorCodes } from '../../src/errors.ts'
import { FakeSource } from './fakes.ts'

const kafkaKey = partitionKey({ topic: 'market.trades', partition: 2 })
const natsKey = partitionKey({ topic: 'nats:MARKET', partition: 99 })

function sources(): { kafka: FakeSource; nats: FakeSource; merged: MergedSource } {
  const kafka = new FakeSource()
  const nats = new FakeSource()
  nats.owned = new Set([natsKey])
  return { kafka, nats, merged: new MergedSource([kafka, nats]) }
}

test('both sources feed one handler; pause, resume and close reach both', async () => {
  const { kafka, nats, merged } = sources()
  const seen: SourceMessage[] = []
  await merged.start((m) => seen.push(m))
  kafka.push('market.trades', 2, 10n, 'k')
  nats.push('nats:MARKET', 99, 0n, 'n')
  assert.deepEqual(
    seen.map((m) => m.topic),
    ['market.trades', 'nats:MARKET']
  )
  merged.pause()
  merged.resume()
  await merged.close()
  for (const source of [kafka, nats])
    assert.deepEqual([source.pauses, source.resumes, source.closes], [1, 1, 1])
})

test('each commit position goes to the source that owns its partition', async () => {
  const { kafka, nats, merged } = sources()
  const positions = [
    { topic: 'market.trades', partition: 2, offset: 11n },
    { topic: 'nats:MARKET', partition: 99, offset: 1n }
  ]
  // Kafka does not know its assignment yet: what NATS does not own is Kafka's, and nothing is filtered.
  assert.equal(merged.ownedPartitions(), undefined)
  await merged.commit(positions)
  assert.deepEqual(kafka.commits, [[positions[0]]])
  assert.deepEqual(nats.commits, [[positions[1]]])
  kafka.owned = new Set([kafkaKey])
  assert.deepEqual(merged.ownedPartitions(), new Set([kafkaKey, natsKey]))
})

test('the source a mode reads', () => {
  const kafka = new FakeSource()
  const nats = new FakeSource()
  assert.equal(sourceFor('kafka', kafka, nats), kafka)
  assert.equal(sourceFor('nats', kafka, nats), nats)
  assert.ok(sourceFor('both', kafka, nats) instanceof MergedSource)
})

test('--source takes kafka, nats or both', () => {
  assert.equal(parseSourceMode('nats'), 'nats')
  assert.throws(() => parseSourceMode('jetstream'), {
    code: ErrorCodes.INVALID_ARGUMENT,
    message: /--source must be kafka, nats, both; got "jetstream"/
  })
})
