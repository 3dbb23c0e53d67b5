import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBridge } from '../../src/bridge/run.ts'
import type { TradeMessage } from '../../src/core/messages.ts'
import { createAdmin } from '../../src/kafka/clients.ts'
import { endOffsets } from '../../src/kafka/lag.ts'
import { TradeGenerator } from '../../src/sim/market.ts'
import { readTopic } from '../helpers/kafka-read.ts'
import {
  assertTradesStored,
  storedTradeCount,
  storedTrades,
  waitStoredTrades
} from '../helpers/clickhouse-rows.ts'
import { BASE_TS, count, produce, silentLog, testEnv, waitCommittedToEnd } from '../helpers/stack.ts'

// Integration: real Kafka, real ClickHouse (the stack from `tickbridge stack up`).

function simulatedTrades(n: number, seed: number): TradeMessage[] {
  const generator = new TradeGenerator({
    exchange: 'sim',
    symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'DOGEUSDT'],
    seed
  })
  const start = BASE_TS
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

  await waitStoredTrades(env, N)
  await waitCommittedToEnd(env, [env.config.topics.trades])

  // Every price and amount is the exchange's decimal, exactly.
  const stored = assertTradesStored(await storedTrades(env), trades)
  assert.equal(stored.size, N)

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
  assert.equal(await storedTradeCount(env), N)
  const raw = await count(clickhouse, `SELECT count() AS n FROM ${db}.trades`)
  assert.ok(raw >= N && raw <= 2 * N, `raw rows ${raw} between N and 2N before merges`)
})

/** 1,000 malformed messages of many kinds, each with the reason the bridge must give. */
function malformedMessages(base: TradeMessage, n: number): { value: string; reason: RegExp }[] {
  const kinds: ((i: number) => { value: string; reason: RegExp })[] = [
    (i) => ({ value: `{"v":1,"type":"trade","id":"${i}"`, reason: /invalid JSON/ }),
    () => ({ value: 'not json at all', reason: /invalid JSON/ }),
    () => ({ value: JSON.stringify({ ...base, v: 2 }), reason: /unsupported version v=2/ }),
    () => ({ value: JSON.stringify({ ...base, type: 'liquidation' }), reason: /unknown message type/ }),
    () => ({ value: JSON.stringify({ ...base, price: undefined }), reason: /missing field price/ }),
    () => ({
      value: JSON.stringify({ ...base, price: '98,000.5' }),
      reason: /price: .* is not a non-negative decimal/
    }),
    () => ({
      value: JSON.stringify({ ...base, amount: '-0.5' }),
      reason: /amount: .* is not a non-negative decimal/
    }),
    () => ({ value: JSON.stringify({ ...base, ts: 17 }), reason: /ts: must be >=/ }),
    () => ({ value: JSON.stringify([base]), reason: /not a JSON object/ }),
    () => ({ value: '', reason: /empty message value/ })
  ]
  return Array.from({ length: n }, (_, i) =>
    (kinds[i % kinds.length] as (i: number) => { value: string; reason: RegExp })(i)
  )
}

test('1,000 malformed messages interleaved: all in the dead-letter topic with reasons, every valid message lands', async (t) => {
  const env = await testEnv(t)
  const { config, clickhouse } = env
  const trades = simulatedTrades(5_000, 7)
  const bad = malformedMessages(trades[0] as TradeMessage, 1_000)
  const messages: { topic: string; key: string; value: string }[] = []
  trades.forEach((m, i) => {
    messages.push({ topic: config.topics.trades, key: `${m.exchange}:${m.symbol}`, value: JSON.stringify(m) })
    if (i % 5 === 0)
      messages.push({
        topic: config.topics.trades,
        key: `${m.exchange}:${m.symbol}`,
        value: bad[i / 5]!.value
      })
  })
  await produce(config, messages)
  const bridge = await startBridge(config, silentLog)
  t.after(() => bridge.stop())
  await waitCommittedToEnd(env, [config.topics.trades])
  assert.equal(
    await count(clickhouse, `SELECT count() AS n FROM ${config.clickhouse.database}.trades FINAL`),
    trades.length
  )
  assert.equal(bridge.worker.stats.snapshot().deadLettered, bad.length)

  const letters = await readTopic(config, config.topics.dlq, bad.length)
  for (const letter of letters) {
    const body = JSON.parse(letter.value) as {
      reason: string
      source_topic: string
      partition: number
      offset: string
      value: string | null
    }
    assert.equal(body.source_topic, config.topics.trades)
    assert.ok(
      Number.isInteger(body.partition) && BigInt(body.offset) >= 0n,
      'source partition and offset recorded'
    )
    assert.equal(letter.headers.get('tb-reason'), body.reason)
    const expected = bad.find((b) => b.value === (body.value ?? ''))
    assert.ok(expected, `dead letter carries the original value: ${body.value}`)
    assert.match(body.reason, expected.reason)
  }
  assert.equal(letters.length, bad.length)
})
