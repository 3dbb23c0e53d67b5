import assert from 'node:assert/strict'
import { test } from 'node:test'
import { displayUrl, EndpointRotation, isConnectionError } from '../../src/clickhouse/endpoints.ts'

test('a client sticks to the node that answers, skips a dead one, and tries it again later', () => {
  const rotation = new EndpointRotation(3, 10_000, 1)
  assert.deepEqual(rotation.order(0), [1, 2, 0])
  rotation.failed(1, 1_000)
  assert.deepEqual(rotation.order(1_000), [2, 0, 1], 'the dead node last')
  rotation.answered(2)
  assert.deepEqual(rotation.order(5_000), [2, 0, 1], 'the next requests start at the node that answered')
  assert.deepEqual(rotation.order(11_000), [2, 0, 1], 'retried after 10 s: live again, in its turn')
  rotation.failed(2, 11_000)
  assert.deepEqual(rotation.order(11_000), [0, 1, 2])
})

test('with every node dead, all are still tried, the one that failed longest ago first', () => {
  const rotation = new EndpointRotation(3, 10_000)
  rotation.failed(0, 3_000)
  rotation.failed(1, 1_000)
  rotation.failed(2, 2_000)
  assert.deepEqual(rotation.order(4_000), [1, 2, 0])
})

test('one URL: always that node', () => {
  const rotation = new EndpointRotation(1, 10_000, 7)
  rotation.failed(0, 0)
  assert.deepEqual(rotation.order(1), [0])
})

test('connection errors move to another node; answers of ClickHouse do not', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' })
  assert.equal(isConnectionError(refused), true)
  assert.equal(isConnectionError(new Error('socket hang up')), true)
  assert.equal(isConnectionError(new Error('Timeout error.')), true)
  assert.equal(isConnectionError(new Error('wrapped', { cause: refused })), true)
  const clickhouse = Object.assign(new Error('Syntax error: failed at position 1'), { code: '62' })
  assert.equal(isConnectionError(clickhouse), false)
  assert.equal(isConnectionError('ECONNREFUSED'), false)
})

test('credentials written into a URL are masked wherever it is shown', () => {
  assert.equal(displayUrl('https://tb:s3cret@ch.internal:8443/x'), 'https://***@ch.internal:8443/x')
  assert.equal(displayUrl('http://127.0.0.1:8123'), 'http://127.0.0.1:8123')
})
