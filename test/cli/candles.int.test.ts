import assert from 'node:assert/strict'
import { test } from 'node:test'
import { uniqueTrades } from '../helpers/load.ts'
import { assertCandlesMatchTrades } from '../helpers/assertions.ts'
import { runCli } from '../helpers/cli.ts'
import { insertMessages } from '../helpers/clickhouse-rows.ts'
import { count, testEnv } from '../helpers/stack.ts'

test('tickbridge candles rebuild computes exact candles for trades no bridge saw, and can be repeated', async (t) => {
  const env = await testEnv(t)
  const db = env.config.clickhouse.database
  // Trades written straight into ClickHouse (with one twice): no bridge recomputed a candle for them.
  const trades = uniqueTrades(3_000, 7, ['BTCUSDT', 'ETHUSDT'])
  await insertMessages(env, [...trades, ...trades.slice(0, 100)])
  assert.equal(await count(env.clickhouse, `SELECT count() AS n FROM ${db}.candles`), 0)

  const run = await runCli(['candles', 'rebuild', '--from', '-1d', '--json'], env.vars)
  assert.equal(run.code, 0, run.stderr)
  const { rebuilt } = JSON.parse(run.stdout) as { rebuilt: { exchange: string; symbol: string }[] }
  assert.deepEqual(
    rebuilt.map((r) => `${r.exchange}:${r.symbol}`),
    ['sim:BTCUSDT', 'sim:ETHUSDT']
  )
  assert.match(run.stderr, /\[2\/2\] sim ETHUSDT/, 'progress per exchange:symbol')
  const compared = await assertCandlesMatchTrades(env.clickhouse, db)
  assert.ok(compared > 0)

  // Again, only one symbol: same candles, and nothing for a window without trades.
  const again = await runCli(
    ['candles', 'rebuild', '--from', '-1d', '--symbol', 'ETHUSDT', '--json'],
    env.vars
  )
  assert.equal(again.code, 0, again.stderr)
  assert.equal((JSON.parse(again.stdout) as { rebuilt: unknown[] }).rebuilt.length, 1)
  assert.equal(await assertCandlesMatchTrades(env.clickhouse, db), compared)
  const empty = await runCli(['candles', 'rebuild', '--from', '-1m'], env.vars)
  assert.equal(empty.code, 0, empty.stderr)
  assert.match(empty.stdout, /nothing to rebuild/)

  const backwards = await runCli(['candles', 'rebuild', '--from', 'now', '--to', '-1h'], env.vars)
  assert.equal(backwards.code, 1, backwards.stdout)
  assert.match(backwards.stderr, /TB_INVALID_ARGUMENT.*--from now is after --to -1h/)
})
