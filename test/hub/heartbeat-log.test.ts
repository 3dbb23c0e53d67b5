import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ClusterView } from '../../src/hub/cluster-view.ts'
import { heartbeatLogLine, HeartbeatLogThrottle } from '../../src/hub/heartbeat-log.ts'
import { buildHubApp } from '../../src/hub/server.ts'
import { fakeHeartbeat } from '../helpers/hub.ts'
import { capturedLog } from '../helpers/logs.ts'

test("the line has the scaling guide's shape", () => {
  const heartbeat = fakeHeartbeat('data-bridge-1', {
    inserted: { trades: 5000, candles: 2000, depth: 7 }
  })
  assert.equal(
    heartbeatLogLine(heartbeat, null),
    'Heartbeat from data-bridge-1: ticks=5000, ch_candles=2000, nats_msgs=0'
  )
  assert.equal(
    heartbeatLogLine({ ...heartbeat, inserted: {}, natsMessages: 7000 } as typeof heartbeat, 12),
    'Heartbeat from data-bridge-1: ticks=0, ch_candles=0, nats_msgs=7000, lag=12'
  )
})

test('at info at most once per bridge per interval, feeds never', () => {
  const throttle = new HeartbeatLogThrottle(10_000)
  const b1 = fakeHeartbeat('b1')
  const b2 = fakeHeartbeat('b2')
  assert.equal(throttle.level(b1, 0), 'info')
  assert.equal(throttle.level(b2, 500), 'info')
  assert.equal(throttle.level(b1, 9_999), 'debug')
  assert.equal(throttle.level(b1, 10_000), 'info')
  assert.equal(throttle.level(fakeHeartbeat('f1', { role: 'feed' }), 0), null)
  const every = new HeartbeatLogThrottle(0)
  assert.equal(every.level(b1, 0), 'info')
  assert.equal(every.level(b1, 0), 'info')
})

test('the hub logs the line when it accepts a bridge heartbeat', async (t) => {
  const { log, text } = capturedLog()
  const view = new ClusterView({ deadAfterMs: 5000, historyMs: 60_000, insertLatencyLimitMs: 2000 })
  const app = buildHubApp(view, 'tok', log, { logIntervalMs: 60_000 })
  t.after(() => app.close())
  const post = (body: unknown) =>
    app.inject({
      method: 'POST',
      url: '/api/heartbeats',
      headers: { authorization: 'Bearer tok' },
      payload: body as object
    })
  assert.equal(
    (await post(fakeHeartbeat('data-bridge-1', { inserted: { trades: 5000, candles: 2000 } }))).statusCode,
    200
  )
  assert.equal(
    (await post(fakeHeartbeat('data-bridge-1', { inserted: { trades: 5100, candles: 2000 } }))).statusCode,
    200
  )
  const lines = text()
    .split('\n')
    .filter((l) => l.includes('Heartbeat from'))
    .map((l) => JSON.parse(l) as { level: number; msg: string })
  assert.deepEqual(lines, [
    { ...lines[0], level: 30, msg: 'Heartbeat from data-bridge-1: ticks=5000, ch_candles=2000, nats_msgs=0' }
  ])
})
