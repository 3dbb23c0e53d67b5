import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { test } from 'node:test'
import { KafkaSource } from '../../src/bridge/kafka-source.ts'
import type { BufferConsumer } from '../../src/kafka/clients.ts'
import { eventually, silentLog } from './fakes.ts'

/** Just what KafkaSource touches of a consumer-group member: events, consume(), close(). */
class FakeMember extends EventEmitter {
  readonly stream = Object.assign(new EventEmitter(), {
    pause: () => undefined,
    resume: () => undefined,
    close: async () => undefined
  })
  closed = false
  assignments = [{ topic: 't', partitions: [0] }]
  async consume() {
    return this.stream
  }
  async close() {
    this.closed = true
  }
}

test("a member's own 'error' (a rejoin that failed for good) rebuilds it instead of ending the process", async (t) => {
  const members: FakeMember[] = []
  let fatal: Error | null = null
  const source = new KafkaSource({
    createConsumer: () => {
      const member = new FakeMember()
      members.push(member)
      return member as unknown as BufferConsumer
    },
    topics: ['t'],
    log: silentLog,
    onFatal: (error) => (fatal = error),
    maxReconnectDelayMs: 10
  })
  t.after(() => source.close())
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
