import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { startBridge } from '../../src/bridge/run.ts'
import { loadConfig } from '../../src/config/load.ts'
import { createAdmin } from '../../src/kafka/clients.ts'
import { groupLag } from '../../src/kafka/lag.ts'
import { finalCounts } from '../helpers/assertions.ts'
import { streamTrades, uniqueTrades } from '../helpers/load.ts'
import { eventually, testEnv, waitCommittedToEnd } from '../helpers/stack.ts'
import { capturedLog } from '../helpers/logs.ts'
import { startTcpProxy } from '../helpers/tcp-proxy.ts'

test('ClickHouse unreachable for 10 s mid-stream: no loss, commits never ahead of rows, backpressure engages and releases', async (t) => {
  const env = await testEnv(t)
  const { config, clickhouse } = env
  const target = new URL(config.clickhouse.url)
  const proxy = await startTcpProxy(target.hostname, Number(target.port || 8123))
  const { log, text: logText } = capturedLog()
  const bridgeConfig = loadConfig(
    {
      ...process.env,
      ...env.vars,
      CLICKHOUSE_URL: `http://127.0.0.1:${proxy.port}`,
      BUFFER_MAX_MESSAGES: '4000',
      INSERT_RETRY_MAX_DELAY_MS: '500'
    },
    '/nonexistent/.env'
  )
  const bridge = await startBridge(bridgeConfig, log)
  const admin = createAdmin(config.kafka)
  t.after(async () => {
    await bridge.stop()
    await proxy.close()
    await admin.close()
  })

  // Every trade is unique and valid, so committed offsets summed = messages the bridge called done.
  let violations = 0
  let samples = 0
  const committedNotAheadOfRows = async () => {
    const committed = (await groupLag(admin, config.bridge.groupId, [config.topics.trades])).reduce(
      (sum, p) => sum + (p.committed > 0n ? p.committed : 0n),
      0n
    )
    const rows = (await finalCounts(clickhouse, config.clickhouse.database)).trades!
    samples++
    if (committed > BigInt(rows)) violations++
  }

  const trades = uniqueTrades(50_000, 9)
  const streaming = streamTrades(config, trades, 4_000)
  await eventually(
    async () => (await finalCounts(clickhouse, config.clickhouse.database)).trades! > 2_000,
    () => 'no rows yet'
  )
  proxy.block()
  const outageEnds = Date.now() + 10_000
  while (Date.now() < outageEnds) {
    await committedNotAheadOfRows()
    await sleep(250)
  }
  assert.equal(bridge.worker.pressure, 'paused', 'buffer filled during the outage and fetching paused')
  proxy.unblock()

  await streaming
  await waitCommittedToEnd(env, [config.topics.trades])
  await committedNotAheadOfRows()
  assert.equal(
    violations,
    0,
    `committed offsets ran ahead of inserted rows in ${violations} of ${samples} samples`
  )
  assert.equal(
    (await finalCounts(clickhouse, config.clickhouse.database)).trades,
    trades.length,
    'no trade lost, none doubled'
  )
  assert.ok(bridge.worker.stats.snapshot().backpressureEvents >= 1)
  const output = logText()
  assert.match(output, /BACKPRESSURE ACTIVE on test-|BACKPRESSURE ACTIVE on tickbridge-bridge-/)
  assert.match(output, /BACKPRESSURE RELEASED on /)
  assert.equal(bridge.worker.pressure, 'flowing')
})
