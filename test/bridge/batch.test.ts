import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Batch } from '../../src/bridge/batch.ts'
import { OffsetTracker, partitionKey } from '../../src/core/offset-tracker.ts'
import type { SourceMessage } from '../../src/bridge/ports.ts'
import { tradeRow } from '../../src/core/rows.ts'
import { scanTrade, TradeSpans } from '../../src/core/trade-fast-path.ts'
import { parseMessage } from '../../src/core/validate.ts'
import { TradeGenerator } from '../../src/sim/market.ts'

function source(topic: string, partition: number, offset: number): SourceMessage {
  return { topic, partition, offset: BigInt(offset), key: undefined, value: Buffer.from(`${offset}`) }
}

/** The batch's rows as text, in order. */
function linesOf(batch: Batch): string[] {
  return Array.from({ length: batch.body.rows }, (_, i) => batch.row(i).toString('utf8'))
}

function filled(entries: [string, number, number][]): Batch {
  const batch = new Batch()
  for (const [topic, partition, offset] of entries) {
    batch.addRow(`{"o":${offset}}\n`, source(topic, partition, offset))
  }
  return batch
}

test('batches get distinct ids', () => {
  const a = new Batch()
  const b = new Batch()
  assert.notEqual(a.id, b.id)
})

test('dedupToken names topic:partition:first-last for each partition, sorted', () => {
  const batch = filled([
    ['market.trades', 3, 17],
    ['market.trades', 1, 5],
    ['market.trades', 3, 12],
    ['market.trades', 1, 9],
    ['market.trades', 3, 15],
    ['market.depth', 0, 2]
  ])
  assert.equal(batch.dedupToken(), 'market.depth:0:2-2,market.trades:1:5-9,market.trades:3:12-17')
})

test('dedupToken is deterministic: the same messages in another order give the same token', () => {
  const entries: [string, number, number][] = [
    ['market.trades', 0, 100],
    ['market.trades', 0, 101],
    ['market.trades', 2, 7],
    ['market.trades', 0, 102]
  ]
  const a = filled(entries)
  const b = filled([...entries].reverse())
  assert.equal(a.dedupToken(), b.dedupToken())
  assert.equal(a.dedupToken(), filled(entries).dedupToken())
  assert.notEqual(a.dedupToken(), filled(entries.slice(0, 3)).dedupToken())
})

test('dead letters count toward size and the offset ranges', () => {
  const batch = new Batch()
  batch.addLetter({ reason: 'bad', source: source('market.trades', 0, 4) })
  batch.addLetter({ reason: 'bad', source: source('market.trades', 0, 6) })
  assert.equal(batch.size, 2)
  assert.equal(batch.body.rows, 0)
  assert.deepEqual(
    batch.offsets.ranges.map(({ key, first, last }) => [key, first, last]),
    [['market.trades:0', 4n, 6n]]
  )
})

test('split halves keep every row with its own source, in order', () => {
  const entries: [string, number, number][] = Array.from({ length: 7 }, (_, i) => [
    'market.trades',
    i % 2,
    10 + i
  ])
  const batch = filled(entries)
  const [left, right] = batch.split()
  assert.equal(left.size, 4)
  assert.equal(right.size, 3)
  assert.notEqual(left.id, batch.id)
  assert.notEqual(right.id, left.id)
  assert.deepEqual([...linesOf(left), ...linesOf(right)], linesOf(batch))
  assert.deepEqual([...left.sources, ...right.sources], batch.sources)
  linesOf(left).forEach((line, i) => assert.equal(line, `{"o":${left.sources[i]?.offset}}\n`))
  linesOf(right).forEach((line, i) => assert.equal(line, `{"o":${right.sources[i]?.offset}}\n`))
  // Each half has its own ranges, hence its own dedup token.
  assert.equal(left.dedupToken(), 'market.trades:0:10-12,market.trades:1:11-13')
  assert.equal(right.dedupToken(), 'market.trades:0:14-16,market.trades:1:15-15')
})

test('splitting down to single rows loses nothing', () => {
  const batch = filled(Array.from({ length: 5 }, (_, i): [string, number, number] => ['t', 0, i]))
  const singles: Batch[] = []
  const queue = [batch]
  while (queue.length > 0) {
    const next = queue.shift() as Batch
    if (next.size <= 1) singles.push(next)
    else queue.push(...next.split())
  }
  assert.equal(singles.length, 5)
  assert.deepEqual(singles.map((b) => b.sources[0]?.offset).sort(), [0n, 1n, 2n, 3n, 4n])
  assert.deepEqual(new Set(singles.map((b) => linesOf(b)[0])), new Set(linesOf(batch)))
})

test('a batch holds its offsets in the tracker that gave them until it settles; split halves hold nothing more', () => {
  const tracker = new OffsetTracker()
  const batch = new Batch(tracker.startBatch())
  for (let offset = 10; offset < 14; offset++)
    batch.addRow(`{"o":${offset}}\n`, source('market.trades', 0, offset))
  const committable = () => Object.fromEntries(tracker.commitable().map((p) => [partitionKey(p), p.offset]))
  assert.deepEqual(committable(), { 'market.trades:0': 10n })
  const [left, right] = batch.split()
  tracker.settle(left.id)
  tracker.settle(right.id)
  assert.deepEqual(committable(), { 'market.trades:0': 10n }, 'the halves are not what the tracker holds')
  tracker.settle(batch.id)
  assert.deepEqual(committable(), { 'market.trades:0': 14n })
})

test('fast-path trades widen the same candle scopes as parsed trades', () => {
  const now = Date.parse('2026-11-30T00:00:00Z')
  const generator = new TradeGenerator({ exchange: 'wallex', symbols: ['BTCUSDT', 'ETH-USD', 'X'], seed: 5 })
  const fast = new Batch()
  const general = new Batch()
  const spans = new TradeSpans()
  for (let i = 0; i < 3000; i++) {
    const value = Buffer.from(
      JSON.stringify(generator.next(now - 3_600_000 + ((i * 7919) % 600_000)).message)
    )
    assert.ok(scanTrade(value, now, spans))
    fast.addTrade(value, spans, source('market.trades', i % 3, i))
    const parsed = parseMessage(value, now)
    assert.ok(parsed.ok && parsed.message.type === 'trade')
    general.addRow(tradeRow(parsed.message), source('market.trades', i % 3, i), parsed.message)
  }
  assert.equal(fast.candleScopes.size, 3)
  assert.deepEqual(fast.candleScopes, general.candleScopes)
  assert.deepEqual(linesOf(fast), linesOf(general))
  assert.deepEqual(fast.sources, general.sources)
})
