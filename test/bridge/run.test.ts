import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBridge } from '../../src/bridge/run.ts'
import type { TradeMessage } from '../../src/core/messages.ts'
import { createAdmin } from '../../src/kafka/clients.ts'
import { endOffsets } from '../../src/kafka/lag.ts'
import { TradeGenerator } from '../../src/sim/market.ts'
import {
  count,
  eventually,
  normalizeDecimal,
  produce,
  queryRows,
  silentLog,
  testEnv,
  waitCommittedToEnd
} from '../helpers/stack.ts'

// Integration: real Kafka, real ClickHouse (the stack from `tickbridge stack up`).

function simulatedTrades(n: number, seed: number): TradeMessage[] {
  const generator = new TradeGenerator({
    exchange: 'sim',
    symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'DOGEUSDT'],
    seed
  })
  const start = 1763800000000
  return Array.from({ length: n }, (_, i) => generator.next(start + i).message)
}

test('simulated trades land exactly once with exact decimals, and offsets are committed to the end', async (t) => {
  const env = await testEnv(t)
  const { config, clickhouse } = env
  const db = config.clickhouse.database
  const N = 20_000
  const trades = simulatedTrades(N, 42)
  const messages = trades.map((m) => ({
    topic: config.topics.trades,
    key: `${m.exchange}:${m.symbol}`,
    value: JSON.stringify(m)
  }))

  await produce(config, messages)
  const bridge = await startBridge(config, silentLog)
  t.after(() => bridge.stop())

  const finalCount = () => count(clickhouse, `SELECT count() AS n FROM ${db}.trades FINAL`)
  await eventually(
    async () => (await finalCount()) === N,
    async () => `rows=${await finalCount()} expected ${N}`
  )
  await waitCommittedToEnd(env, [env.config.topics.trades])

  // Every price and amount is the exchange's decimal, exactly.
  const rows = await queryRows<{
    symbol: string
    id: string
    price: string
    amount: string
    side: string
    ts: string
  }>(
    clickhouse,
    `SELECT symbol, id, toString(price) AS price, toString(amount) AS amount, toString(side) AS side, ts
     FROM ${db}.trades FINAL`
  )
  const stored = new Map(rows.map((r) => [`${r.symbol}:${r.id}`, r]))
  assert.equal(stored.size, N)
  for (const m of trades) {
    const row = stored.get(`${m.symbol}:${m.id}`)
    assert.ok(row, `trade ${m.symbol}:${m.id} missing`)
    assert.equal(normalizeDecimal(row.price), normalizeDecimal(m.price), `price of ${m.symbol}:${m.id}`)
    assert.equal(normalizeDecimal(row.amount), normalizeDecimal(m.amount), `amount of ${m.symbol}:${m.id}`)
    assert.equal(row.side, m.side)
    assert.equal(Number(row.ts), m.ts)
  }

  // The same messages produced again: still N rows after FINAL, and offsets again at the (new) end.
  await produce(config, messages)
  const admin = createAdmin(config.kafka)
  const ends = await endOffsets(admin, [config.topics.trades]).finally(() => admin.close())
  assert.equal(
    [...ends.values()].reduce((a, b) => a + b, 0n),
    BigInt(2 * N),
    'both copies are in Kafka'
  )
  await waitCommittedToEnd(env, [env.config.topics.trades])
  assert.equal(await finalCount(), N)
  const raw = await count(clickhouse, `SELECT count() AS n FROM ${db}.trades`)
  assert.ok(raw >= N && raw <= 2 * N, `raw rows ${raw} between N and 2N before merges`)
})

test('malformed messages go to the dead-letter topic and never block valid ones', async (t) => {
  const env = await testEnv(t)
  const { config, clickhouse } = env
  const trades = simulatedTrades(500, 7)
  const messages = trades.map((m, i) => ({
    topic: config.topics.trades,
    key: `${m.exchange}:${m.symbol}`,
    value: i % 50 === 0 ? '{"v":1,"type":"trade"' : JSON.stringify(m)
  }))
  const malformed = messages.filter((m) => !m.value.endsWith('}')).length
  await produce(config, messages)
  const bridge = await startBridge(config, silentLog)
  t.after(() => bridge.stop())
  const db = config.clickhouse.database
  await waitCommittedToEnd(env, [env.config.topics.trades])
  assert.equal(
    await count(clickhouse, `SELECT count() AS n FROM ${db}.trades FINAL`),
    trades.length - malformed
  )
  assert.equal(bridge.worker.stats.snapshot().deadLettered, malformed)
  const admin = createAdmin(config.kafka)
  const dlqEnds = await endOffsets(admin, [config.topics.dlq]).finally(() => admin.close())
  assert.equal(
    [...dlqEnds.values()].reduce((a, b) => a + b, 0n),
    BigInt(malformed),
    'dead letters in the DLQ topic'
  )
})
