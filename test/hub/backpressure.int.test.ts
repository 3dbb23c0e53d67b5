import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBridge } from '../../src/bridge/run.ts'
import { finalCounts } from '../helpers/assertions.ts'
import { capturedLog } from '../helpers/logs.ts'
import { configWith, fakeHeartbeat, postHeartbeat, startTestHub, TEST_HUB_TOKEN } from '../helpers/hub.ts'
import { streamTrades, uniqueTrades } from '../helpers/load.ts'
import { eventually, testEnv, waitCommittedToEnd } from '../helpers/stack.ts'
import { startTcpProxy } from '../helpers/tcp-proxy.ts'

const SYMBOLS = Array.from({ length: 24 }, (_, i) => `S${i}USDT`)

test('coordinated backpressure: one bridge past its watermark pauses every bridge; they resume together; nothing lost', async (t) => {
  const env = await testEnv(t)
  const { hub, instanceVars, logs: hubLogs } = await startTestHub(t, env)
  const target = new URL(env.config.clickhouse.url)
  const proxy = await startTcpProxy(target.hostname, Number(target.port || 8123))
  const slowLog = capturedLog()
  const fastLog = capturedLog()
  const common = { ...instanceVars, BUFFER_MAX_MESSAGES: '3000', INSERT_RETRY_MAX_DELAY_MS: '300' }
  // "slow" reaches ClickHouse through a proxy the test cuts; "fast" reaches it directly.
  const slow = await startBridge(
    configWith(env, { ...common, INSTANCE_ID: 'slow', CLICKHOUSE_URL: `http://127.0.0.1:${proxy.port}` }),
    slowLog.log
  )
  const fast = await startBridge(configWith(env, { ...common, INSTANCE_ID: 'fast' }), fastLog.log)
  t.after(async () => {
    await Promise.all([slow.stop(), fast.stop()])
    await proxy.close()
  })
  await eventually(
    async () => slow.source.assignmentSummary().length > 0 && fast.source.assignmentSummary().length > 0,
    () => 'both bridges should own partitions',
    60_000
  )

  const trades = uniqueTrades(40_000, 21, SYMBOLS)
  const streaming = streamTrades(env.config, trades, 4_000)
  await eventually(
    async () => (await finalCounts(env.clickhouse, env.config.clickhouse.database)).trades! > 1_000,
    () => 'no rows yet'
  )
  proxy.block()
  await eventually(
    async () => slow.policy.localState === 'paused' && fast.worker.pressure === 'paused',
    () =>
      `slow local=${slow.policy.localState} effective=${slow.worker.pressure}; fast local=${fast.policy.localState} effective=${fast.worker.pressure}`,
    30_000
  )
  assert.equal(fast.policy.localState, 'flowing', 'fast is paused by the cluster, not by its own buffer')
  assert.match(
    fastLog.text(),
    /BACKPRESSURE ACTIVE on fast: paused fetching \(cluster: slow is past its high watermark/
  )
  assert.match(
    hubLogs(),
    /BACKPRESSURE ACTIVE \(cluster\): cluster holds back: slow is past its high watermark/
  )

  proxy.unblock()
  await eventually(
    async () => slow.worker.pressure === 'flowing' && fast.worker.pressure === 'flowing',
    () => `slow=${slow.worker.pressure} fast=${fast.worker.pressure}`,
    30_000
  )
  const releasedAt = (text: string, id: string) => {
    const line = text.split('\n').find((l) => l.includes(`BACKPRESSURE RELEASED on ${id}`))
    return line ? (JSON.parse(line) as { time: number }).time : Number.NaN
  }
  const gap = Math.abs(releasedAt(slowLog.text(), 'slow') - releasedAt(fastLog.text(), 'fast'))
  assert.ok(gap <= 2_500, `both resumed within ${gap} ms of each other`)
  const events = (await (await fetch(`${hub.url}/api/events`)).json()) as { kind: string }[]
  assert.ok(events.some((e) => e.kind === 'backpressure-active'))
  assert.ok(events.some((e) => e.kind === 'backpressure-released'))

  await streaming
  await waitCommittedToEnd(env, [env.config.topics.trades])
  assert.equal(
    (await finalCounts(env.clickhouse, env.config.clickhouse.database)).trades,
    trades.length,
    'no trade lost, none doubled'
  )
})

test('hub down: bridges keep ingesting, and a hold from a hub that died is dropped', async (t) => {
  const env = await testEnv(t)
  const { hub, instanceVars } = await startTestHub(t, env)
  const log = capturedLog()
  const bridge = await startBridge(configWith(env, { ...instanceVars, INSTANCE_ID: 'lonely' }), log.log)
  t.after(() => bridge.stop())

  // A (fake) instance past its watermark makes the hub hold the cluster: the real bridge pauses.
  const holder = fakeHeartbeat('holder', {
    pressure: { local: 'paused', effective: 'paused', transitions: 1 },
    buffer: { messages: 45_000, capacity: 50_000 }
  })
  const keepHolding = setInterval(
    () => void postHeartbeat(hub.url, holder, TEST_HUB_TOKEN).catch(() => {}),
    300
  )
  t.after(() => clearInterval(keepHolding))
  await eventually(
    async () => bridge.worker.pressure === 'paused',
    () => 'the hub hold should pause the bridge',
    15_000
  )

  clearInterval(keepHolding)
  await hub.stop()
  await eventually(
    async () => bridge.worker.pressure === 'flowing',
    () => 'with the hub gone, the bridge should fall back to its own watermarks',
    15_000
  )
  assert.match(log.text(), /hub unreachable at .*using this instance's own watermarks/)

  const trades = uniqueTrades(3_000, 22, SYMBOLS)
  await streamTrades(env.config, trades, 3_000)
  await waitCommittedToEnd(env, [env.config.topics.trades])
  assert.equal((await finalCounts(env.clickhouse, env.config.clickhouse.database)).trades, trades.length)
})
