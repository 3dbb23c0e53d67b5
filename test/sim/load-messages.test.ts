import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseMessage } from '../../src/core/validate.ts'
import { LoadMessages, loadSymbols } from '../../src/sim/load-messages.ts'

test("load messages: the chosen types round-robin, valid, under the run's own symbols, stamped with the batch time", () => {
  const load = new LoadMessages({
    types: ['trade', 'depth', 'quote'],
    symbols: loadSymbols('abc123', 4),
    topicFor: (type) => `topic.${type}`
  })
  const now = 1_763_800_000_000
  const batch = load.batch(30, now)
  assert.deepEqual(batch.byType, { trade: 10, depth: 10, quote: 10 })
  const identities = new Set<string>()
  for (const record of batch.records) {
    const parsed = parseMessage(record.value, now)
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason)
    const m = parsed.message
    assert.equal(record.topic, `topic.${m.type}`)
    assert.equal(record.key, `loadtest:${m.symbol}`)
    assert.match(m.symbol, /^LTabc123-[0-3]$/)
    assert.equal(m.recv_ts, now)
    identities.add(m.type === 'trade' ? `${m.symbol}:${m.id}` : `${m.type}:${m.symbol}:${m.ts}`)
  }
  // No two messages share an identity, so none collapse in ClickHouse.
  assert.equal(identities.size, 30)
})

test('symbols can be picked so that every partition gets as many as the others', () => {
  const bucketOf = (key: string) =>
    `p${[...key].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 1_000_003, 7) % 6}`
  const symbols = loadSymbols('ff00aa', 24, { bucketOf, buckets: 6 })
  assert.equal(new Set(symbols).size, 24)
  const perBucket = new Map<string, number>()
  for (const s of symbols)
    perBucket.set(bucketOf(`loadtest:${s}`), (perBucket.get(bucketOf(`loadtest:${s}`)) ?? 0) + 1)
  assert.deepEqual([...perBucket.values()], [4, 4, 4, 4, 4, 4])
  assert.deepEqual(loadSymbols('ff00aa', 2), ['LTff00aa-0', 'LTff00aa-1'])
})
