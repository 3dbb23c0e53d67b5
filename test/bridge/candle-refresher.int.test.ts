import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CandleRefresher } from '../../src/bridge/candle-refresher.ts'
import type { ClickHouseClient } from '../../src/clickhouse/client.ts'
import { addToScope, type ScopeMap } from '../../src/core/candles.ts'
import { assertCandlesMatchTrades } from '../helpers/assertions.ts'
import { insertMessages } from '../helpers/clickhouse-rows.ts'
import { uniqueTrades } from '../helpers/load.ts'
import { BASE_TS, testEnv } from '../helpers/stack.ts'

test('a refresh reads trades without FINAL where each is stored once, with FINAL where one is stored twice: exact candles both ways', async (t) => {
  const env = await testEnv(t)
  const db = env.config.clickhouse.database
  // 40 s of trades of two symbols (4 ten-second slices each); 50 ETHUSDT trades of the slice [10 s, 20 s) stored
  // again, in a part of their own, as a re-delivered batch is.
  const trades = uniqueTrades(4_000, 11, ['BTCUSDT', 'ETHUSDT']).map((trade, i) => ({
    ...trade,
    ts: BASE_TS + i * 10
  }))
  const twice = trades.filter((tr) => tr.symbol === 'ETHUSDT' && tr.ts >= BASE_TS + 10_000).slice(0, 50)
  await insertMessages(env, trades)
  await insertMessages(env, twice)

  const commands: string[] = []
  const recording = new Proxy(env.clickhouse, {
    get(target, property, receiver) {
      if (property === 'command')
        return (params: { query: string }) => {
          commands.push(params.query)
          return target.command(params)
        }
      const value: unknown = Reflect.get(target, property, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    }
  }) as ClickHouseClient
  const scopes: ScopeMap = new Map()
  for (const trade of trades) addToScope(scopes, trade)
  const refresher = new CandleRefresher(recording, db, {
    minIntervalMs: () => 0,
    tradesTable: 'trades_local'
  })
  await refresher.refresh([...scopes.values()])

  assert.ok((await assertCandlesMatchTrades(env.clickhouse, db)) > 0)
  const final = commands.filter((query) => query.includes('FROM ' + db + '.trades_local FINAL'))
  assert.equal(final.length, 1, 'one statement recomputes the slices with a duplicate from FINAL')
  assert.match(final[0]!, /symbol = 'ETHUSDT' AND ts >= \d+ AND ts < \d+\)\nGROUP BY/)
  assert.doesNotMatch(final[0]!, /BTCUSDT/, 'the slices without duplicates are not read with FINAL')
  const slices = [...final[0]!.matchAll(/ts >= (\d+) AND ts < (\d+)/g)].map(([, from, to]) => [
    Number(from),
    Number(to)
  ])
  assert.deepEqual(
    slices,
    [[BASE_TS + 10_000, BASE_TS + 20_000]],
    'only the slice with the trades stored twice'
  )
})
