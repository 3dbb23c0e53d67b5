import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { runCli } from '../helpers/cli.ts'
import { killAll, spawnBridge } from '../helpers/processes.ts'
import {
  BASE_TS,
  count,
  eventually,
  normalizeDecimal,
  queryRows,
  testEnv,
  waitCommittedToEnd
} from '../helpers/stack.ts'

test('replay: CSV, Binance dump and JSON lines land exactly in ClickHouse; bad lines are reported; a re-run adds nothing', async (t) => {
  const env = await testEnv(t)
  const bridge = spawnBridge(env, 1)
  t.after(() => killAll([bridge]))
  const dir = mkdtempSync(join(tmpdir(), 'tb-replay-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))

  const csv = join(dir, 'trades.csv')
  const csvTrades = Array.from({ length: 300 }, (_, i) => ({
    id: `c${i}`,
    price:
      i === 0
        ? '12345678901234567890.123456789012345678'
        : `98012.${String(i).padStart(3, '0')}000000000000001`,
    amount: `0.${String(i + 1).padStart(18, '0')}`,
    side: i % 2 ? 'buy' : 'sell',
    ts: BASE_TS + i
  }))
  writeFileSync(
    csv,
    'exchange,symbol,id,price,amount,side,ts\n' +
      csvTrades.map((r) => `replay,RPL,${r.id},${r.price},${r.amount},${r.side},${r.ts}`).join('\n') +
      '\nreplay,RPL,bad1,1e5,1,buy,' +
      BASE_TS +
      '\n\nreplay,RPL,bad2,1,1,buy\n'
  )
  const binance = join(dir, 'BTCUSDT-trades-2025-01-01.csv')
  writeFileSync(
    binance,
    Array.from(
      { length: 200 },
      (_, i) =>
        `${5000 + i},94000.${String(i).padStart(2, '0')}000000,0.00150000,141.0,${(BASE_TS + i) * 1000 + 999},${i % 2 ? 'True' : 'False'},True`
    ).join('\r\n')
  )
  const jsonl = join(dir, 'quotes.jsonl')
  writeFileSync(
    jsonl,
    Array.from(
      { length: 100 },
      (_, i) =>
        `{"v":1,"type":"quote","exchange":"replay","symbol":"EUR/USD","bid":"1.0501","ask":"1.0${String(i).padStart(3, '0')}","bid_size":"1000000","ask_size":"500000","ts":${BASE_TS + i},"recv_ts":${BASE_TS + i + 1}}`
    ).join('\n') + '\n'
  )

  const first = await runCli(['replay', csv, binance, jsonl, '--max'], env.vars, 60_000)
  assert.equal(first.code, 1, `${first.stdout}\n${first.stderr}`) // lines were skipped
  assert.match(first.stderr, new RegExp(`${csv}:302: skipped: price: "1e5" is not a non-negative decimal`))
  assert.match(first.stderr, new RegExp(`${csv}:304: skipped: missing ts$`, 'm'))
  assert.match(first.stdout, /binance \(BTCUSDT\)\s+200\s+200\s+0/)
  assert.match(first.stdout, /^replayed 600 messages in /m)
  assert.match(first.stdout, /^skipped 2 bad line\(s\)$/m)

  const db = env.config.clickhouse.database
  const settled = async () =>
    (await count(env.clickhouse, `SELECT count() AS n FROM ${db}.trades`)) === 500 &&
    (await count(env.clickhouse, `SELECT count() AS n FROM ${db}.quotes`)) === 100
  await eventually(settled, () => `rows never arrived:\n${bridge.output().slice(-2000)}`, 45_000)

  const rows = await queryRows<{
    id: string
    price: string
    amount: string
    side: string
    ts: string
    recv_ts: string
  }>(
    env.clickhouse,
    `SELECT id, toString(price) AS price, toString(amount) AS amount, toString(side) AS side, ts, recv_ts FROM ${db}.trades WHERE exchange = 'replay'`
  )
  const byId = new Map(rows.map((r) => [r.id, r]))
  for (const r of csvTrades) {
    const row = byId.get(r.id)
    assert.ok(row, `trade ${r.id} missing`)
    assert.deepEqual(
      [
        normalizeDecimal(row.price),
        normalizeDecimal(row.amount),
        row.side,
        Number(row.ts),
        Number(row.recv_ts)
      ],
      [normalizeDecimal(r.price), normalizeDecimal(r.amount), r.side, r.ts, r.ts]
    )
  }
  const dump = await queryRows<{ id: string; price: string; side: string; ts: string }>(
    env.clickhouse,
    `SELECT id, toString(price) AS price, toString(side) AS side, ts FROM ${db}.trades WHERE exchange = 'binance' AND symbol = 'BTCUSDT' AND id IN ('5000', '5001')`
  )
  assert.deepEqual(dump.map((r) => [r.id, normalizeDecimal(r.price), r.side, Number(r.ts)]).sort(), [
    ['5000', '94000', 'buy', BASE_TS],
    ['5001', '94000.01', 'sell', BASE_TS + 1]
  ])

  // The same files again, paced: identical messages, so the tables keep one row each.
  const again = await runCli(['replay', csv, binance, jsonl, '--rate', '2000'], env.vars, 60_000)
  assert.equal(again.code, 1)
  assert.match(again.stdout, /^replayed 600 messages in /m)
  await waitCommittedToEnd(env, [env.config.topics.trades, env.config.topics.quotes], 45_000)
  assert.equal(await count(env.clickhouse, `SELECT count() AS n FROM ${db}.trades FINAL`), 500)
  assert.equal(await count(env.clickhouse, `SELECT count() AS n FROM ${db}.quotes FINAL`), 100)
})
