import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { DepthMessage, TradeMessage } from '../../src/core/messages.ts'
import { runCli } from '../helpers/cli.ts'
import { insertMessages } from '../helpers/clickhouse-rows.ts'
import { BASE_TS, count, testEnv } from '../helpers/stack.ts'

const trade = (i: number, symbol: string, price: string): TradeMessage => ({
  v: 1,
  type: 'trade',
  exchange: 'sim',
  symbol,
  id: String(i),
  price,
  amount: '0.000000000000000001',
  side: 'buy',
  ts: BASE_TS + i * 1000,
  recv_ts: BASE_TS + i * 1000 + 5
})

const depth: DepthMessage = {
  v: 1,
  type: 'depth',
  exchange: 'sim',
  symbol: 'BTCUSDT',
  ts: BASE_TS,
  bids: [
    ['98000.1', '0.5'],
    ['97999', '2']
  ],
  asks: [['98001.25', '1.2']],
  recv_ts: BASE_TS + 3
}

test('tickbridge query returns the rows inserted, exact and newest first, and refuses hostile input', async (t) => {
  const env = await testEnv(t)
  const trades = [
    trade(1, 'BTCUSDT', '98012.50'),
    trade(2, 'BTCUSDT', '98013.123456789012345678'),
    trade(3, 'BTCUSDT', '98014'),
    trade(4, 'ETHUSDT', '3000.5')
  ]
  // The same trade twice: FINAL (the default) shows it once.
  await insertMessages(env, [...trades, trades[0] as TradeMessage, depth])
  const window = ['--from', new Date(BASE_TS).toISOString(), '--to', 'now']

  const json = await runCli(['query', 'trades', '--symbol', 'BTCUSDT', ...window, '--json'], env.vars)
  assert.equal(json.code, 0, json.stderr)
  const rows = JSON.parse(json.stdout) as Record<string, unknown>[]
  assert.deepEqual(
    rows.map((r) => [r.id, r.price, r.amount, r.ts]),
    [
      ['3', '98014', '0.000000000000000001', BASE_TS + 3000],
      ['2', '98013.123456789012345678', '0.000000000000000001', BASE_TS + 2000],
      ['1', '98012.5', '0.000000000000000001', BASE_TS + 1000]
    ]
  )

  const limited = await runCli(
    ['query', 'trades', '--symbol', 'BTCUSDT', '--exchange', 'sim', ...window, '--limit', '1', '--json'],
    env.vars
  )
  assert.equal((JSON.parse(limited.stdout) as unknown[]).length, 1)

  const table = await runCli(['query', 'trades', '--symbol', 'BTCUSDT', ...window], env.vars)
  assert.equal(table.code, 0, table.stderr)
  assert.match(table.stdout, /^TIME\s+EXCHANGE\s+SYMBOL\s+ID\s+SIDE\s+PRICE\s+AMOUNT/)
  assert.ok(table.stdout.includes(`${new Date(BASE_TS + 2000).toISOString()}  sim`), table.stdout)
  assert.ok(table.stdout.includes('98013.123456789012345678'), table.stdout)

  const book = await runCli(['query', 'depth', '--symbol', 'BTCUSDT', ...window], env.vars)
  assert.equal(book.code, 0, book.stderr)
  assert.match(book.stdout, /98000\.1 x 0\.5\s+98001\.25 x 1\.2\s+2\/1/)

  const none = await runCli(['query', 'trades', '--symbol', 'BTCUSDT', '--from', '-1m'], env.vars)
  assert.equal(none.code, 0, none.stderr)
  assert.match(none.stdout, /no trades for BTCUSDT/)

  for (const hostile of ["x' OR 1=1 --", "BTCUSDT' UNION SELECT name FROM system.tables --"]) {
    const result = await runCli(['query', 'trades', '--symbol', hostile, ...window, '--json'], env.vars)
    assert.equal(result.code, 1, result.stdout)
    assert.match(result.stderr, /TB_INVALID_ARGUMENT.*has characters a symbol never has/)
    assert.equal(result.stdout, '')
  }
  const badTime = await runCli(['query', 'trades', '--symbol', 'BTCUSDT', '--from', "0' OR 1=1"], env.vars)
  assert.match(badTime.stderr, /TB_INVALID_ARGUMENT.*cannot read/)
  // Nothing was changed by any of it.
  assert.equal(
    await count(env.clickhouse, `SELECT count() AS n FROM ${env.config.clickhouse.database}.trades FINAL`),
    4
  )
})

test('tickbridge query on a database without the schema says to migrate', async (t) => {
  const env = await testEnv(t)
  const result = await runCli(['query', 'quotes', '--symbol', 'EUR/USD'], env.vars)
  assert.equal(result.code, 1)
  assert.match(result.stderr, /TB_CLICKHOUSE_REJECTED.*does not exist/)
  assert.match(result.stderr, /tickbridge migrate/)
})
