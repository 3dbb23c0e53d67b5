import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { finalCounts } from '../helpers/assertions.ts'
import { runCli } from '../helpers/cli.ts'
import { mixedMessages } from '../helpers/market-data.ts'
import { natsClient, natsTestEnv, publishToNats, streamInfo } from '../helpers/nats.ts'
import { eventually } from '../helpers/stack.ts'

test('scale trades=2 --source nats: local bridges of the trades pool read their types from NATS, nothing else', async (t) => {
  const env = await natsTestEnv(t)
  const home = mkdtempSync(join(tmpdir(), 'tickbridge-scale-nats-'))
  const vars = {
    ...env.vars,
    TICKBRIDGE_HOME: home,
    KAFKA_BROKERS: env.config.kafka.brokers.join(','),
    CLICKHOUSE_URL: env.config.clickhouse.url,
    NATS_URL: env.config.nats.url
  }
  env.onEnd(async () => {
    await runCli(['scale', 'trades=0', '--source', 'nats'], vars)
    rmSync(home, { recursive: true, force: true })
  })
  const up = await runCli(['scale', 'trades=2', '--source', 'nats'], vars, 60_000)
  assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`)
  assert.match(
    up.stdout,
    /^pool trades \(trade, candle\): 2 of 2 bridge process\(es\) reading NATS: bridge-trades-1, bridge-trades-2$/m
  )

  const nats = await natsClient(t, env.config)
  await publishToNats(
    nats,
    env.config,
    mixedMessages({ trades: 1_000, depth: 300, quotes: 0, candles: 0 }, 5)
  )
  const db = env.config.clickhouse.database
  await eventually(
    async () => (await finalCounts(env.clickhouse, db)).trades === 1_000,
    async () => JSON.stringify(await finalCounts(env.clickhouse, db)),
    45_000
  )
  // Depth has no reader: it waits in the stream for a depth pool.
  assert.equal((await finalCounts(env.clickhouse, db)).depth ?? 0, 0)
  await eventually(
    async () => (await streamInfo(nats, env.config)).state.messages === 300,
    async () => `${(await streamInfo(nats, env.config)).state.messages} messages in the stream, expected 300`
  )
})
