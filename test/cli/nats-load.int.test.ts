import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { runCli } from '../helpers/cli.ts'
import { hubInstances, startTestHub } from '../helpers/hub.ts'
import { natsClient, natsTestEnv, streamInfo } from '../helpers/nats.ts'
import { freePort } from '../helpers/ports.ts'
import { killAll, spawnBridge } from '../helpers/processes.ts'
import { BASE_TS, count, eventually } from '../helpers/stack.ts'

// `loadtest --via nats` and `replay --via nats` against bridges reading NATS (`--source nats`): real NATS
// JetStream, Kafka (dead letters) and ClickHouse; the test's own subjects, stream, consumers, topics, database.

test('loadtest --via nats: every message queryable through two NATS bridges, the share of each from its heartbeats', async (t) => {
  const env = await natsTestEnv(t)
  const { hub, instanceVars } = await startTestHub(t, env)
  const bridges = [1, 2].map((n) => spawnBridge(env, n, instanceVars, ['--source', 'nats']))
  env.onEnd(() => killAll(bridges))
  const ids = [1, 2].map((n) => `test-${env.id}-${n}`)
  await eventually(
    async () => {
      const natsBridges = (await hubInstances(hub.url)).filter(
        (i) => i.lastHeartbeat.natsMessages !== undefined
      )
      return ids.every((id) => natsBridges.some((i) => i.instanceId === id))
    },
    () => `the bridges never reported to the hub:\n${bridges.map((b) => b.output().slice(-1500)).join('\n')}`
  )

  const run = await runCli(
    [
      'loadtest',
      '--via',
      'nats',
      '--messages',
      '6000',
      '--rate',
      '3000',
      '--types',
      'trade,depth',
      '--hub',
      hub.url
    ],
    env.vars,
    90_000
  )
  t.diagnostic(run.stdout)
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`)
  assert.match(
    run.stdout,
    /^loadtest [0-9a-f]{6}: 6,000 messages \(trade, depth\) via nats, target 3,000 msg\/s$/m
  )
  assert.match(run.stdout, /^queryable {5}all 6,000 after \d+\.\d\d s/m)
  assert.match(run.stdout, /per instance \(NATS has no partitions: messages each bridge received from NATS/)
  // Both bridges pulled from the per-type consumers; together they received every message (no redelivery here).
  const shares = ids.map((id) => {
    const row = new RegExp(`^${id}\\s+([\\d,]+)\\s+([\\d.]+) %$`, 'm').exec(run.stdout)
    assert.ok(row, `no share line for ${id}`)
    return Number((row[1] as string).replaceAll(',', ''))
  })
  assert.equal(
    shares.reduce((a, b) => a + b, 0),
    6000
  )
  assert.match(run.stdout, /^PASSED: every message is queryable$/m)
  const db = env.config.clickhouse.database
  assert.equal(
    await count(env.clickhouse, `SELECT count() AS n FROM ${db}.trades FINAL WHERE exchange = 'loadtest'`),
    3000
  )
  assert.equal(
    await count(env.clickhouse, `SELECT count() AS n FROM ${db}.depth FINAL WHERE exchange = 'loadtest'`),
    3000
  )
})

test('loadtest --via nats exits 1 when no bridge reads NATS', async (t) => {
  const env = await natsTestEnv(t)
  // A hub with a Kafka bridge only: nobody reads NATS.
  const { hub, instanceVars } = await startTestHub(t, env)
  const kafkaBridge = spawnBridge(env, 1, instanceVars)
  env.onEnd(() => killAll([kafkaBridge]))
  await eventually(
    async () => (await hubInstances(hub.url)).some((i) => i.lastHeartbeat.partitions.length > 0),
    () => kafkaBridge.output().slice(-1500)
  )
  const run = await runCli(['loadtest', '--via', 'nats', '--messages', '1000', '--hub', hub.url], env.vars)
  assert.equal(run.code, 1)
  assert.match(run.stderr, /error \[TB_COMMAND_FAILED\]: no bridge consumes t[0-9a-f]+\.trades from NATS/)
  const nobody = `http://127.0.0.1:${await freePort()}`
  const noHub = await runCli(['loadtest', '--via', 'nats', '--messages', '1000', '--hub', nobody], env.vars)
  assert.equal(noHub.code, 1)
  assert.match(noHub.stderr, /TB_COMMAND_FAILED/)
})

test('replay --via nats twice: the same rows, none doubled (identity exchange, symbol, ts, id as from Kafka)', async (t) => {
  const env = await natsTestEnv(t)
  const bridge = spawnBridge(env, 1, {}, ['--source', 'nats'])
  env.onEnd(() => killAll([bridge]))
  const dir = mkdtempSync(join(tmpdir(), 'tb-replay-nats-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const csv = join(dir, 'trades.csv')
  const N = 3000
  writeFileSync(
    csv,
    'exchange,symbol,id,price,amount,side,ts\n' +
      Array.from(
        { length: N },
        (_, i) =>
          `replay,SYM${i % 7},r${i},${100 + (i % 50)}.25,0.${String(i + 1).padStart(6, '0')},${i % 2 ? 'buy' : 'sell'},${BASE_TS + i}`
      ).join('\n') +
      '\n'
  )
  const db = env.config.clickhouse.database
  const nats = await natsClient(t, env.config)
  const drained = async () => (await streamInfo(nats, env.config)).state.messages === 0

  const first = await runCli(['replay', csv, '--via', 'nats', '--max'], env.vars, 60_000)
  assert.equal(first.code, 0, `${first.stdout}\n${first.stderr}`)
  assert.match(first.stdout, /^replayed 3,000 messages in /m)
  await eventually(drained, () => `the stream was never drained:\n${bridge.output().slice(-1500)}`, 45_000)
  assert.equal(await count(env.clickhouse, `SELECT count() AS n FROM ${db}.trades FINAL`), N)

  const again = await runCli(['replay', csv, '--via', 'nats', '--rate', '3000'], env.vars, 60_000)
  assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`)
  // Acknowledged (and so removed from the work queue) only once inserted: drained = the second run is in.
  await eventually(drained, () => `the stream was never drained:\n${bridge.output().slice(-1500)}`, 45_000)
  assert.equal((await streamInfo(nats, env.config)).state.last_seq, 2 * N, 'both runs were stored')
  assert.equal(await count(env.clickhouse, `SELECT count() AS n FROM ${db}.trades FINAL`), N)
  assert.equal(await count(env.clickhouse, `SELECT uniqExact(id) AS n FROM ${db}.trades`), N)
})
