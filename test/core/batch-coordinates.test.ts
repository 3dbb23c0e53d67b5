import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MessageCoordinates, ScopeIndex } from '../../src/core/batch-coordinates.ts'
import { addToScopeByKey, scopeKey, type ScopeMap } from '../../src/core/candles.ts'

test('coordinates come back in order, across partitions and growth, with 64-bit offsets', () => {
  const coordinates = new MessageCoordinates()
  const expected: { topic: string; partition: number; offset: bigint }[] = []
  for (let i = 0; i < 5000; i++) {
    const topic = i % 7 === 0 ? 'b.trades' : 'a.trades'
    const partition = Math.floor(i / 100) % 3
    const offset = BigInt(i) * 1_000_000_000_007n
    coordinates.add(topic, partition, offset)
    expected.push({ topic, partition, offset })
  }
  assert.equal(coordinates.length, 5000)
  assert.deepEqual(
    Array.from({ length: 5000 }, (_, i) => coordinates.at(i)),
    expected
  )
  assert.throws(() => coordinates.at(5000), RangeError)
  coordinates.clear()
  assert.equal(coordinates.length, 0)
})

/** A key's bytes inside a message-like buffer, as the fast path sees them. */
function inMessage(key: string): { value: Buffer; start: number; end: number } {
  const value = Buffer.from(`{"exchange":"${key}","id":"1"}`, 'latin1')
  return { value, start: 13, end: 13 + key.length }
}

/** Adds like Batch.addTrade: by bytes when indexed, else by string, then remembered. */
function add(scopes: ScopeMap, index: ScopeIndex, exchange: string, symbol: string, ts: number): void {
  const key = scopeKey(exchange, symbol)
  const { value, start, end } = inMessage(key)
  if (index.widen(value, start, end, ts)) return
  addToScopeByKey(scopes, key, ts, () => ({ exchange, symbol }))
  index.remember(scopes, key, value, start, end)
}

test('scopes found by bytes are the scopes found by strings', () => {
  const byBytes: ScopeMap = new Map()
  const byString: ScopeMap = new Map()
  const index = new ScopeIndex()
  for (let i = 0; i < 3000; i++) {
    const exchange = i % 5 === 0 ? 'wallex' : 'nobitex'
    const symbol = `SYM${i % 24}`
    const ts = 1_700_000_000_000 + ((i * 7919) % 100_000)
    add(byBytes, index, exchange, symbol, ts)
    addToScopeByKey(byString, scopeKey(exchange, symbol), ts, () => ({ exchange, symbol }))
  }
  assert.equal(byBytes.size, 48)
  assert.deepEqual(byBytes, byString)
})

test('two keys with the same hash stay apart (the second takes the string path)', () => {
  // These two keys have the same 32-bit FNV-1a hash.
  const [a, b] = ['S689128', 'S1078820']
  const scopes: ScopeMap = new Map()
  const index = new ScopeIndex()
  add(scopes, index, 'ex', a, 1000)
  add(scopes, index, 'ex', b, 5000)
  add(scopes, index, 'ex', a, 2000)
  add(scopes, index, 'ex', b, 4000)
  assert.deepEqual(scopes.get(scopeKey('ex', a)), { exchange: 'ex', symbol: a, fromTs: 1000, toTs: 2000 })
  assert.deepEqual(scopes.get(scopeKey('ex', b)), { exchange: 'ex', symbol: b, fromTs: 4000, toTs: 5000 })
})
