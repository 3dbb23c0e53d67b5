import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBridge } from '../../src/bridge/run.ts'
import { createAdmin } from '../../src/kafka/clients.ts'
import { groupLag } from '../../src/kafka/lag.ts'
import { TradeGenerator } from '../../src/sim/market.ts'
import { runCli } from '../helpers/cli.ts'
import { eventually, produce, silentLog, testEnv } from '../helpers/stack.ts'

test("Kafka's own consumer-group tool, run through tickbridge, shows the bridge's group and its lag", async (t) => {
  const env = await testEnv(t)
  const { config } = env
  const generator = new TradeGenerator({
    exchange: 'sim',
    symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'],
    seed: 1
  })
  const batch = (n: number) =>
    Array.from({ length: n }, () => {
      const { key, message } = generator.next(Date.now())
      return { topic: config.topics.trades, key, value: JSON.stringify(message) }
    })
  await produce(config, batch(3000))
  const bridge = await startBridge(config, silentLog)
  const admin = createAdmin(config.kafka)
  t.after(() => admin.close())
  await eventually(
    async () =>
      (await groupLag(admin, config.bridge.groupId, [config.topics.trades])).every((p) => p.lag === 0n),
    () => 'bridge did not catch up'
  )
  await bridge.stop()
  // With the bridge stopped, new messages are lag the tool must report.
  await produce(config, batch(600))
  const expected = await groupLag(admin, config.bridge.groupId, [config.topics.trades])
  const totalLag = expected.reduce((sum, p) => sum + p.lag, 0n)
  assert.equal(totalLag, 600n)

  const result = await runCli(['kafka', 'consumer-groups', '--describe', '--group', config.bridge.groupId])
  assert.equal(result.code, 0, result.stderr)
  // GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ...
  const rows = result.stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((cols) => cols[0] === config.bridge.groupId && cols[1] === config.topics.trades)
  assert.ok(rows.length > 0, `tool output lists the group's partitions:\n${result.stdout}`)
  for (const cols of rows) {
    const partition = Number(cols[2])
    const mine = expected.find((p) => p.partition === partition)
    assert.ok(mine, `partition ${partition}`)
    assert.equal(cols[3], mine.committed.toString(), `current offset of partition ${partition}`)
    assert.equal(cols[4], mine.end.toString(), `log end offset of partition ${partition}`)
    assert.equal(cols[5], mine.lag.toString(), `lag of partition ${partition}`)
  }
})
