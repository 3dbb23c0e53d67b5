import assert from 'node:assert/strict'
import { test } from 'node:test'
import { interleave, lastLines, lineTime, selectLogSources } from '../../src/core/log-lines.ts'

const sources = [
  'bridge-1',
  'bridge-2',
  'bridge-12',
  'sim',
  'feed-wallex',
  'hub',
  'kafka',
  'clickhouse',
  'clickhouse.err'
].map((name) => ({ name, path: `/logs/${name}.log` }))
const names = (selector?: string) => selectLogSources(sources, selector).map((s) => s.name)

test('a role picks every instance of it, an instance only itself', () => {
  assert.deepEqual(names('bridge'), ['bridge-1', 'bridge-2', 'bridge-12'])
  assert.deepEqual(names('bridge-1'), ['bridge-1'])
  assert.deepEqual(names('tickbridge-bridge-2'), ['bridge-2'])
  assert.deepEqual(names('feed'), ['feed-wallex'])
  assert.deepEqual(names('clickhouse'), ['clickhouse', 'clickhouse.err'])
  assert.deepEqual(names('bri'), [], 'not a role: no partial names')
  assert.equal(names().length, sources.length)
})

test('times from pino JSON, log4j and ClickHouse lines; none from others', () => {
  assert.equal(lineTime('{"level":30,"time":1763800000123,"msg":"x"}'), 1763800000123)
  assert.equal(lineTime('[2025-11-22 08:26:40,123] INFO x'), Date.parse('2025-11-22T08:26:40.123Z'))
  assert.equal(
    lineTime('2025.11.22 08:26:40.123456 [ 1 ] <Information> x'),
    Date.parse('2025-11-22T08:26:40.123Z')
  )
  assert.equal(lineTime('    at Object.<anonymous> (file.js:1:1)'), null)
})

test('lines of several files interleave by time, each file keeping its order', () => {
  const pino = (time: number, msg: string) => `{"time":${1763800000000 + time},"msg":"${msg}"}`
  const merged = interleave([
    [
      { source: 'bridge-1', text: pino(1000, 'a1') },
      { source: 'bridge-1', text: 'stack trace of a1' },
      { source: 'bridge-1', text: pino(3000, 'a3') }
    ],
    [
      { source: 'bridge-2', text: pino(500, 'b0') },
      { source: 'bridge-2', text: pino(2000, 'b2') }
    ]
  ])
  assert.deepEqual(
    merged.map((l) => `${l.source}:${l.text.replace(/^.*"msg":"(\w+)".*$/, '$1')}`),
    ['bridge-2:b0', 'bridge-1:a1', 'bridge-1:stack trace of a1', 'bridge-2:b2', 'bridge-1:a3']
  )
})

test('last lines skip empty ones', () => {
  assert.deepEqual(lastLines('a\nb\n\nc\n', 2), ['b', 'c'])
  assert.deepEqual(lastLines('a\nb', 0), [])
})
