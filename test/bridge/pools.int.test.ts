import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBridge, type RunningBridge } from '../../src/bridge/run.ts'
import { createAdmin } from '../../src/kafka/clients.ts'
import { groupLag } from '../../src/kafka/lag.ts'
import { assertCandlesMatchTrades, finalCounts, waitFinalCounts } from '../helpers/assertions.ts'
import { configWith, startTestHub } from '../helpers/hub.ts'
import { mixedMessages, toKafka } from '../helpers/market-data.ts'
import { eventually, produce, silentLog, testEnv } from '../helpers/stack.ts'

/**
 * The radar layout in small: a trades pool (trade, candle: 2 bridges) and a depth pool (depth, quote: 1 bridge
 * with a small buffer), each its own consumer group, beside a hub. A depth burst keeps the depth pool under
 * backpressure; the trades pool never pauses and its trades land while depth is still behind.
 */
test('a depth burst holds back the depth pool only: trades land meanwhile, every group commits to the end', async (t) => {
  const env = await testEnv(t)
  const { config, clickhouse } = env
  const db = config.clickhouse.database
  const { hub, instanceVars } = await startTestHub(t, env)
  const groups = { trades: `${config.bridge.groupId}-trades`, depth: `${config.bridge.groupId}-depth` }
  t.after(async () => {
    const admin = createAdmin(config.kafka)
    await admin.deleteGroups({ groups: Object.values(groups) }).catch(() => undefined)
    await admin.close()
  })

  const bridges: RunningBridge[] = []
  t.after(() => Promise.all(bridges.map((b) => b.stop())))
  const start = async (pool: string, ordinal: number, extra: Record<string, string> = {}) => {
    const bridge = await startBridge(
      configWith(env, { ...instanceVars, BRIDGE_POOL: pool, INSTANCE_ORDINAL: String(ordinal), ...extra }),
      silentLog
    )
    bridges.push(bridge)
    return bridge
  }
  const trades = [await start('trades', 1), await start('trades', 2)]
  // Pauses at 400 held messages, inserts 100 rows at a time: a burst keeps it busy and paused for a while.
  const depth = await start('depth', 1, { BUFFER_MAX_MESSAGES: '500', BATCH_MAX_ROWS: '100' })
  assert.deepEqual(
    bridges.map((b) => b.telemetry.heartbeats !== null),
    [true, true, true]
  )
  // Each pool's group balances its own topics: trades+candles over 2 bridges, depth+quotes over 1.
  const owned = (b: RunningBridge) => b.source.assignmentSummary()
  await eventually(
    async () => trades.every((b) => owned(b).length === 6) && owned(depth).length === 12,
    () => bridges.map((b) => owned(b).join(',')).join(' | '),
    30_000
  )
  for (const b of trades)
    assert.ok(
      owned(b).every((tp) => /\.(trades|candles):/.test(tp)),
      owned(b).join(',')
    )
  assert.ok(
    owned(depth).every((tp) => /\.(depth|quotes):/.test(tp)),
    owned(depth).join(',')
  )

  const counts = { trades: 6_000, depth: 60_000, quotes: 2_000, candles: 500 }
  const all = mixedMessages(counts, 23)
  const burst = toKafka(
    all.filter((m) => m.type === 'depth' || m.type === 'quote'),
    config.topics
  )
  const tradeSide = toKafka(
    all.filter((m) => m.type === 'trade' || m.type === 'candle'),
    config.topics
  )
  await produce(config, burst)
  const tradesSentAt = Date.now()
  await produce(config, tradeSide)

  const admin = createAdmin(config.kafka)
  t.after(() => admin.close())
  const lagOf = async (group: string, topics: string[]) =>
    (await groupLag(admin, group, topics)).reduce((sum, p) => sum + Number(p.lag), 0)
  const depthTopics = [config.topics.depth, config.topics.quotes]
  const tradeTopics = [config.topics.trades, config.topics.candles]

  const tradeRows = async () => {
    const c = await finalCounts(clickhouse, db)
    return c.trades === counts.trades && c.candles === counts.candles
  }
  await eventually(tradeRows, async () => JSON.stringify(await finalCounts(clickhouse, db)), 120_000)
  const tradesLandedMs = Date.now() - tradesSentAt
  const depthBehind = await lagOf(groups.depth, depthTopics)
  t.diagnostic(
    `trades and candles in ClickHouse ${tradesLandedMs} ms after they were sent; the depth group was ${depthBehind} behind`
  )
  assert.ok(depthBehind > 0, 'the trades did not wait for the depth burst to be consumed')

  await waitFinalCounts(clickhouse, db, counts, 240_000)
  // Every pool's group commits to the end of its own topics, and only those.
  await eventually(
    async () =>
      (await lagOf(groups.trades, tradeTopics)) === 0 && (await lagOf(groups.depth, depthTopics)) === 0,
    async () =>
      `trades lag ${await lagOf(groups.trades, tradeTopics)}, depth lag ${await lagOf(groups.depth, depthTopics)}`,
    60_000
  )
  const committed = async (group: string, topics: string[]) =>
    (await groupLag(admin, group, topics)).filter((p) => p.committed >= 0n).length
  assert.equal(await committed(groups.trades, depthTopics), 0, 'the trades group never read depth')
  assert.equal(await committed(groups.depth, tradeTopics), 0, 'the depth group never read trades')

  // The depth pool was held back (its own watermarks, then the hub's decision for its pool) ...
  assert.ok(depth.worker.stats.backpressureCount > 0, 'the depth bridge paused under the burst')
  const events = (await (await fetch(`${hub.url}/api/events`)).json()) as { kind: string; detail: string }[]
  assert.ok(
    events.some((e) => e.kind === 'backpressure-active' && /^pool depth holds back/.test(e.detail)),
    JSON.stringify(events.filter((e) => e.kind.startsWith('backpressure')))
  )
  // ... and the trades pool never was.
  for (const b of trades) assert.equal(b.worker.stats.backpressureCount, 0, 'a trades bridge paused')
  assert.ok(!events.some((e) => /pool trades holds back|cluster holds back/.test(e.detail)))
  await assertCandlesMatchTrades(clickhouse, db)
})
