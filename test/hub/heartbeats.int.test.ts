import assert from 'node:assert/strict'
import { test } from 'node:test'
import { bridgeTopics } from '../../src/bridge/run.ts'
import { startHub } from '../../src/hub/run.ts'
import {
  configWith,
  fakeHeartbeat,
  hubEvents,
  hubInstances,
  postHeartbeat,
  hubWithBridges,
  startTestHub,
  TEST_HUB_TOKEN
} from '../helpers/hub.ts'
import { eventually, testEnv } from '../helpers/stack.ts'
import { capturedLog } from '../helpers/logs.ts'
import { runCli } from '../helpers/cli.ts'
import { HeartbeatSender } from '../../src/telemetry/heartbeat-sender.ts'

test('heartbeats without the token are refused with 401, invalid ones with 400, and the token is never logged', async (t) => {
  const env = await testEnv(t)
  const { hub, logs } = await startTestHub(t, env)

  const missing = await postHeartbeat(hub.url, fakeHeartbeat('intruder-1'), null)
  assert.equal(missing.status, 401)
  assert.equal(missing.headers.get('www-authenticate'), 'Bearer')
  const wrong = await postHeartbeat(hub.url, fakeHeartbeat('intruder-2'), 'not-the-token')
  assert.equal(wrong.status, 401)
  const invalid = await postHeartbeat(hub.url, { v: 1, role: 'bridge' }, TEST_HUB_TOKEN)
  assert.equal(invalid.status, 400)
  assert.match(((await invalid.json()) as { reason: string }).reason, /required property/)

  const accepted = await postHeartbeat(hub.url, fakeHeartbeat('bridge-a'), TEST_HUB_TOKEN)
  assert.equal(accepted.status, 200)
  assert.deepEqual(((await accepted.json()) as { backpressure: unknown }).backpressure, {
    hold: false,
    reason: null
  })

  const instances = await hubInstances(hub.url)
  assert.deepEqual(
    instances.map((i) => [i.instanceId, i.state]),
    [['bridge-a', 'alive']],
    'only the authenticated instance is known'
  )
  const metrics = await (await fetch(`${hub.url}/metrics`)).text()
  assert.match(metrics, /tickbridge_hub_heartbeats_rejected_total\{reason="unauthorized"\} 2/)
  assert.match(metrics, /tickbridge_hub_heartbeats_rejected_total\{reason="invalid"\} 1/)
  assert.match(metrics, /tickbridge_cluster_instances\{role="bridge",state="alive"\} 1/)
  assert.equal((await fetch(`${hub.url}/healthz`)).status, 200)
  assert.equal((await fetch(`${hub.url}/readyz`)).status, 200)
  assert.match(logs(), /rejected a heartbeat without a valid token/)
  assert.ok(!logs().includes(TEST_HUB_TOKEN), 'the token never appears in the hub log')
})

// Before: every hand-started bridge defaulted to tickbridge-bridge-1 and the hub merged them into one row.
test('a second live process claiming an instance id gets 409 with the holder named, and its sender logs it', async (t) => {
  const env = await testEnv(t)
  const { hub } = await startTestHub(t, env)
  assert.equal(
    (await postHeartbeat(hub.url, fakeHeartbeat('bridge-z', { pid: 111 }), TEST_HUB_TOKEN)).status,
    200
  )
  const twin = await postHeartbeat(hub.url, fakeHeartbeat('bridge-z', { pid: 222 }), TEST_HUB_TOKEN)
  assert.equal(twin.status, 409)
  const body = (await twin.json()) as { code: string; reason: string }
  assert.equal(body.code, 'TB_INSTANCE_ID_TAKEN')
  assert.match(body.reason, /bridge-z is already used by a live process on test-host \(pid 111\)/)
  assert.deepEqual(
    (await hubInstances(hub.url)).map((i) => [i.instanceId, i.lastHeartbeat.pid]),
    [['bridge-z', 111]],
    'the holder keeps its row'
  )

  const { log, text } = capturedLog()
  let reply: unknown = 'none'
  const sender = new HeartbeatSender({
    hubUrl: hub.url,
    token: TEST_HUB_TOKEN,
    intervalMs: 1_000,
    build: () => fakeHeartbeat('bridge-z', { pid: 333 }),
    onReply: (r) => (reply = r),
    log
  })
  await sender.sendNow()
  assert.equal(reply, null, 'treated as no hub: own watermarks only')
  assert.match(text(), /the hub refused this instance \(409\): instance id bridge-z is already used/)
})

test('a killed bridge is marked dead within the timeout; the survivor takes its partitions', async (t) => {
  const env = await testEnv(t)
  const deadAfterMs = 2_000
  const { hub, bridges, ids } = await hubWithBridges(t, env, 2, deadAfterMs)
  const [first = '', second = ''] = ids

  const partitionsOf = async (id: string) =>
    (await hubInstances(hub.url)).find((i) => i.instanceId === id)?.lastHeartbeat.partitions.length ?? 0
  const total = bridgeTopics(env.config).length * env.config.topics.partitions
  // Heartbeats from the middle of a rebalance can overlap (one still reports all partitions): wait for a
  // settled split where both own some and together exactly all.
  await eventually(
    async () => {
      const [a, b] = [await partitionsOf(first), await partitionsOf(second)]
      return a > 0 && b > 0 && a + b === total
    },
    async () =>
      `both bridges should share the ${total} partitions: ${JSON.stringify(await hubInstances(hub.url))}`,
    60_000
  )

  bridges[1]?.child.kill('SIGKILL')
  const killedAt = Date.now()
  await eventually(
    async () => (await hubInstances(hub.url)).find((i) => i.instanceId === second)?.state === 'dead',
    () => `${second} not marked dead`,
    deadAfterMs + 5_000
  )
  const detectedMs = Date.now() - killedAt
  assert.ok(
    detectedMs <= deadAfterMs + 1_500,
    `marked dead after ${detectedMs} ms (dead after ${deadAfterMs} ms)`
  )
  const died = (await hubEvents(hub.url)).filter((e) => e.kind === 'died')
  assert.deepEqual(
    died.map((e) => e.instanceId),
    [second]
  )
  assert.equal((await hubInstances(hub.url)).find((i) => i.instanceId === first)?.state, 'alive')

  await eventually(
    async () => (await partitionsOf(first)) === total,
    async () => `survivor owns ${await partitionsOf(first)} of ${total} partitions`,
    60_000
  )
  const kinds = (await hubEvents(hub.url)).map((e) => `${e.kind}:${e.instanceId}`)
  assert.ok(kinds.includes(`partitions-changed:${first}`), kinds.join(', '))
})

test('a second hub on a taken port exits 1 with the port and what to do, instead of running on unreachable', async (t) => {
  const env = await testEnv(t)
  const { hub } = await startTestHub(t, env)
  const port = Number(new URL(hub.url).port)
  await assert.rejects(startHub(configWith(env, { HUB_TOKEN: TEST_HUB_TOKEN }), capturedLog().log, port), {
    code: 'TB_PORT_IN_USE',
    message: new RegExp(`Port ${port} on 127.0.0.1 is in use by another process, so the hub cannot listen`)
  })
  // The command: it must end (had its pollers started, their Kafka and ClickHouse clients would keep it alive).
  const second = await runCli(
    ['hub', '--port', String(port)],
    { ...env.vars, HUB_TOKEN: TEST_HUB_TOKEN },
    30_000
  )
  assert.equal(second.code, 1, second.stderr)
  assert.match(second.stderr, /TB_PORT_IN_USE.*\n.*HUB_PORT/)
})
