import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  describeLayout,
  InvalidPool,
  parseLayout,
  parseTypes,
  poolGroupId,
  poolNameFor,
  resolvePool,
  topicsOfTypes,
  typesOfPoolName
} from '../../src/core/pools.ts'

// Server-free: worker pool names, types, consumer groups and layouts.
const G = 'tickbridge-bridge'
const topics = { trades: 'm.trades', depth: 'm.depth', quotes: 'm.quotes', candles: 'm.candles' }

test('types parse in canonical order without repeats; anything else is refused', () => {
  assert.deepEqual(parseTypes('candle,trade'), ['trade', 'candle'])
  assert.deepEqual(parseTypes(' quote + depth ,depth'), ['depth', 'quote'])
  for (const bad of ['', ' , ', 'trades', 'trade,book'])
    assert.throws(() => parseTypes(bad), InvalidPool, JSON.stringify(bad))
})

test('a pool is named by its types: all, a preset, the types joined, and `-only` where that is a preset', () => {
  assert.equal(poolNameFor(['trade', 'depth', 'quote', 'candle']), 'all')
  assert.equal(poolNameFor(['candle', 'trade']), 'trades')
  assert.equal(poolNameFor(['quote', 'depth']), 'depth')
  assert.equal(poolNameFor(['trade']), 'trade')
  assert.equal(poolNameFor(['quote', 'trade']), 'trade-quote')
  // `depth` alone is not the preset `depth` (which also takes quotes): another name, another group.
  assert.equal(poolNameFor(['depth']), 'depth-only')
  assert.deepEqual(typesOfPoolName('depth-only'), ['depth'])
  assert.deepEqual(typesOfPoolName('depth'), ['depth', 'quote'])
  assert.deepEqual(typesOfPoolName('trade-quote'), ['trade', 'quote'])
  assert.equal(typesOfPoolName('mine'), null)
})

test('consumer groups: BRIDGE_GROUP_ID for `all`, <BRIDGE_GROUP_ID>-<pool> for the others', () => {
  assert.equal(poolGroupId(G, 'all'), G)
  assert.equal(poolGroupId(G, 'trades'), `${G}-trades`)
  assert.deepEqual(resolvePool({}, G), {
    name: 'all',
    types: ['trade', 'depth', 'quote', 'candle'],
    groupId: G
  })
  assert.deepEqual(resolvePool({ types: 'trade,candle' }, G), {
    name: 'trades',
    types: ['trade', 'candle'],
    groupId: `${G}-trades`
  })
  assert.deepEqual(resolvePool({ name: 'depth' }, G), {
    name: 'depth',
    types: ['depth', 'quote'],
    groupId: `${G}-depth`
  })
  // Named by its types in another order: the canonical name, so one set of types is one group.
  assert.equal(resolvePool({ name: 'candle-trade' }, G).groupId, `${G}-trades`)
  assert.deepEqual(resolvePool({ name: 'fast', types: 'trade' }, G), {
    name: 'fast',
    types: ['trade'],
    groupId: `${G}-fast`
  })
  assert.deepEqual(resolvePool({ name: 'trades', types: 'candle,trade' }, G).types, ['trade', 'candle'])
  assert.equal(resolvePool({ types: 'trade,depth,quote,candle' }, G).groupId, G)
})

test('pools that are not one are refused with the reason', () => {
  const refused = (given: { types?: string; name?: string }, reason: RegExp) =>
    assert.throws(
      () => resolvePool(given, G),
      (e: unknown) => e instanceof InvalidPool && reason.test(e.message)
    )
  refused({ name: 'mine' }, /not a preset .* give its types too/)
  refused({ name: 'trades', types: 'trade' }, /stands for trade,candle, not trade/)
  refused({ name: 'all', types: 'trade' }, /stands for trade,depth,quote,candle/)
  refused({ name: 'Trades' }, /lowercase letters/)
  refused({ name: '1x' }, /starting with a letter/)
  refused({ name: 'bad_name' }, /lowercase letters, digits and "-"/)
  refused({ types: 'trades' }, /"trades" is not a message type/)
})

test('layouts: a number, a preset, <pool>=<n> items in one argument or several', () => {
  assert.deepEqual(parseLayout(['3']), [
    { name: 'all', types: ['trade', 'depth', 'quote', 'candle'], count: 3 }
  ])
  const radar = parseLayout(['radar'])
  assert.equal(describeLayout(radar), 'trades=3,depth=2')
  assert.deepEqual(
    radar.map((p) => p.types),
    [
      ['trade', 'candle'],
      ['depth', 'quote']
    ]
  )
  assert.deepEqual(parseLayout(['trades=3', 'depth=2']), radar)
  assert.deepEqual(parseLayout(['trades=3,depth=2']), radar)
  assert.equal(describeLayout(parseLayout(['trade+quote=1, candle=0'])), 'trade-quote=1,candle=0')
  assert.equal(describeLayout(parseLayout(['all=2'])), 'all=2')
  for (const bad of [
    [],
    ['x'],
    ['trades='],
    ['trades=-1'],
    ['trades=1.5'],
    ['book=2'],
    ['trades=1', 'trades=2']
  ])
    assert.throws(() => parseLayout(bad), InvalidPool, JSON.stringify(bad))
  // Bridges of every type beside pools would read the same topics twice.
  assert.throws(() => parseLayout(['all=1', 'depth=1']), /cannot run beside other pools/)
})

test('every type has its topic; the radar presets between them read every topic once', () => {
  assert.deepEqual(topicsOfTypes(topics, ['candle', 'trade']), ['m.trades', 'm.candles'])
  const read = parseLayout(['radar']).flatMap((p) => topicsOfTypes(topics, p.types))
  assert.deepEqual([...read].sort(), Object.values(topics).sort())
})
