import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { test, type TestContext } from 'node:test'
import { KafkaSource } from '../../src/bridge/kafka-source.ts'
import type { BufferConsumer } from '../../src/kafka/clients.ts'
import { eventually, silentLog } from './fakes.ts'

/** Just what KafkaSource touches of a consumer-group member: events, consume(), close(). */
class FakeMember extends EventEmitter {
  streamClosed = false
  readonly stream = Object.assign(new EventEmitter(), {
    pause: () => undefined,
    resume: () => undefined,
    close: async () => {
      this.streamClosed = true
    }
  })
  closed = false
  /** consume() waits for this (a join in progress) when set. */
  joining: Promise<void> | null = null
  assignments = [{ topic: 't', partitions: [0] }]
  async consume() {
    await this.joining
    return this.stream
  }
  async close() {
    this.closed = true
  }
}

/** A source over fake members, closed after the test; member number `slow` (0: the first) joins only on join(). */
function sourceOverFakes(t: TestContext, options: { slow?: number; onFatal?: (error: Error) => void } = {}) {
  const members: FakeMember[] = []
  let release: () => void = () => undefined
  const source = new KafkaSource({
    createConsumer: () => {
      const member = new FakeMember()
      if (members.length === options.slow)
        member.joining = new Promise<void>((resolve) => (release = resolve))
      members.push(member)
      return member as unknown as BufferConsumer
    },
    topics: ['t'],
    log: silentLog,
    onFatal: options.onFatal ?? (() => assert.fail('not fatal')),
    maxReconnectDelayMs: 10
  })
  t.after(() => source.close())
  return { source, members, join: () => release() }
}

test("a member's own 'error' (a rejoin that failed for good) rebuilds it instead of ending the process", async (t) => {
  let fatal: Error | null = null
  const { source, members } = sourceOverFakes(t, { onFatal: (error) => (fatal = error) })
  await source.start(() => undefined)
  assert.equal(source.state, 'consuming')

  // @platformatic/kafka emits this when the rejoin its heartbeat started fails; with no listener the
  // EventEmitter would throw it here, as it ended a bridge in CI.
  const first = members[0] as FakeMember
  first.emit('error', new Error('Connection closed'))
  assert.equal(source.state, 'reconnecting', 'not ready while the member is rebuilt')
  assert.equal(source.ownedPartitions()?.size, 0, 'it may commit nothing meanwhile')

  await eventually(
    () => source.state === 'consuming' && members.length === 2,
    () => 'a new member consumes'
  )
  assert.equal(first.closed, true, 'the failed member was closed')
  assert.equal(source.reconnects, 1)
  assert.equal(fatal, null)

  first.emit('error', new Error('late error of the old member'))
  assert.equal(source.state, 'consuming', "the old member's later errors change nothing")
  assert.equal(members.length, 2)
})

test('a member lost while it joins is replaced once: no second rebuild, no orphaned member', async (t) => {
  const { source, members, join } = sourceOverFakes(t, { slow: 0 })
  const starting = source.start(() => undefined)
  const first = members[0] as FakeMember
  first.emit('error', new Error('rejoin failed while joining'))
  join() // its consume() comes back after all
  await starting

  await eventually(
    () => source.state === 'consuming',
    () => `state ${source.state}`
  )
  await new Promise((resolve) => setTimeout(resolve, 100)) // room for a second rebuild, were there one
  assert.equal(members.length, 2, 'one replacement')
  assert.equal(first.streamClosed, true, "the lost member's late stream was closed too")
  assert.equal(source.ownedPartitions()?.size, 1, 'the replacement owns the partitions')
})

test("a rebuild's new member that fails while it joins is given up and replaced, not consumed with", async (t) => {
  // The second member (the first rebuild's) joins slowly.
  const { source, members, join } = sourceOverFakes(t, { slow: 1 })
  await source.start(() => undefined)
  ;(members[0] as FakeMember).emit('error', new Error('rejoin failed'))
  await eventually(
    () => members.length === 2,
    () => 'the rebuild builds a member'
  )
  const second = members[1] as FakeMember
  second.emit('consumer:heartbeat:stalled', { stalledFor: 30_000 })
  join() // its consume() comes back anyway
  await eventually(
    () => members.length === 3 && source.state === 'consuming',
    () => `state ${source.state}, ${members.length} members`
  )
  assert.equal(second.closed, true, 'the member that failed while joining was closed')
  assert.equal(second.streamClosed, true, 'with its stream')
  assert.equal(source.reconnects, 1, 'one rebuild, which took two members')
})
