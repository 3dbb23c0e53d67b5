import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defaultInstanceIdentity } from '../../src/config/instance-id.ts'

const base = { role: 'bridge' as const, id: '', ordinal: undefined, hostname: 'worker7.example', pid: 4242 }

test('default instance ids: explicit id, explicit ordinal, a host ordinal (StatefulSet, compose), else host + pid', () => {
  assert.deepEqual(defaultInstanceIdentity({ ...base, id: 'mine' }), { instanceId: 'mine', ordinal: 1 })
  assert.deepEqual(defaultInstanceIdentity({ ...base, ordinal: 3 }), {
    instanceId: 'tickbridge-bridge-3',
    ordinal: 3
  })
  assert.deepEqual(defaultInstanceIdentity({ ...base, hostname: 'tickbridge-bridge-2' }), {
    instanceId: 'tickbridge-bridge-2',
    ordinal: 2
  })
  assert.deepEqual(defaultInstanceIdentity({ ...base, hostname: 'Market_Bridge_4' }), {
    instanceId: 'market-bridge-4',
    ordinal: 4
  })
  assert.deepEqual(defaultInstanceIdentity(base), {
    instanceId: 'tickbridge-bridge-worker7.example-4242',
    ordinal: 1
  })
})

test('two hand-started bridges on one host get different default ids', () => {
  const one = defaultInstanceIdentity({ ...base, pid: 1001 })
  const two = defaultInstanceIdentity({ ...base, pid: 1002 })
  assert.notEqual(one.instanceId, two.instanceId)
})

test('a worker pool is part of the default id, so pools can count ordinals of their own', () => {
  assert.equal(
    defaultInstanceIdentity({ ...base, ordinal: 1, pool: 'trades' }).instanceId,
    'tickbridge-bridge-trades-1'
  )
  assert.equal(
    defaultInstanceIdentity({ ...base, pool: 'depth' }).instanceId,
    'tickbridge-bridge-depth-worker7.example-4242'
  )
  assert.equal(defaultInstanceIdentity({ ...base, id: 'mine', pool: 'depth' }).instanceId, 'mine')
})
