import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connectionFailure, EndpointRotation } from '../../src/clickhouse/endpoints.ts'
import { displayUrl } from '../../src/core/url-credentials.ts'

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

test('a node never reached: another may take the request; a dropped connection: not re-sent; answers: neither', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' })
  assert.equal(connectionFailure(refused), 'unreached')
  assert.equal(connectionFailure(new Error('wrapped', { cause: refused })), 'unreached')
  const connectTimeout = Object.assign(new Error('connect ETIMEDOUT'), {
    code: 'ETIMEDOUT',
    syscall: 'connect'
  })
  assert.equal(connectionFailure(connectTimeout), 'unreached')
  assert.equal(connectionFailure(new Error('socket hang up')), 'dropped')
  assert.equal(connectionFailure(new Error('Timeout error.')), 'dropped')
  assert.equal(
    connectionFailure(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })),
    'dropped'
  )
  const clickhouse = Object.assign(new Error('Syntax error: failed at position 1'), { code: '62' })
  assert.equal(connectionFailure(clickhouse), null)
  assert.equal(connectionFailure('ECONNREFUSED'), null)
})

test('credentials written into a URL are masked wherever it is shown', () => {
  assert.equal(displayUrl('https://tb:s3cret@ch.internal:8443/x'), 'https://***@ch.internal:8443/x')
  assert.equal(displayUrl('http://127.0.0.1:8123'), 'http://127.0.0.1:8123')
})
