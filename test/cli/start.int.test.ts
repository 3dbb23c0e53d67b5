import assert from 'node:assert/strict'
import { test } from 'node:test'
import { listLocalProcesses } from '../../src/stack/local-processes.ts'
import { isAlive } from '../../src/stack/processes.ts'
import { configWith } from '../helpers/hub.ts'
import { runCli } from '../helpers/cli.ts'
import { pipelineVars } from '../helpers/pipeline.ts'
import { freePort } from '../helpers/ports.ts'
import { count, eventually, testEnv } from '../helpers/stack.ts'

test('start runs hub, simulator, feed and bridges in the background; trades reach ClickHouse; stop stops them all', async (t) => {
  const env = await testEnv(t)
  const vars = await pipelineVars(t, env)
  const simPort = await freePort()
  const config = configWith(env, vars)

  const started = await runCli(
    [
      'start',
      '--bridges',
      '2',
      '--rate',
      '300',
      '--symbols',
      'BTCUSDT,ETHUSDT,XRPUSDT,DOGEUSDT',
      '--sim-port',
      String(simPort)
    ],
    vars
  )
  assert.equal(started.code, 0, started.stderr)
  assert.match(started.stdout, /tickbridge-bridge-1\s+alive/)
  assert.match(started.stdout, /tickbridge-bridge-2\s+alive/)
  assert.match(started.stdout, /tickbridge-feed-wallex-1\s+alive/)
  assert.match(started.stdout, new RegExp(`Dashboard: ${vars.HUB_URL}/`))
  const processes = listLocalProcesses(config)
  assert.deepEqual(
    processes.map((p) => p.name),
    ['hub', 'sim', 'feed-1', 'bridge-1', 'bridge-2']
  )

  const db = env.config.clickhouse.database
  await eventually(
    async () =>
      (await count(env.clickhouse, `SELECT count() AS n FROM ${db}.trades WHERE exchange = 'wallex'`)) > 300,
    () => 'simulated Wallex trades should reach ClickHouse through the feed and the bridges',
    60_000
  )
  const health = await runCli(['health', '--json'], vars)
  assert.equal(health.code, 0, health.stdout)
  const status = JSON.parse((await runCli(['status', '--json'], vars)).stdout) as {
    instances: { instanceId: string; state: string; ready: boolean | null }[]
  }
  assert.deepEqual(
    status.instances.map((i) => [i.instanceId, i.state, i.ready]),
    [
      ['tickbridge-bridge-1', 'alive', true],
      ['tickbridge-bridge-2', 'alive', true],
      ['tickbridge-feed-wallex-1', 'alive', true]
    ]
  )
  const monitor = await runCli(['monitor', '--iterations', '2', '--interval', '500'], vars)
  assert.equal(monitor.code, 0, monitor.stderr)
  assert.equal(monitor.stdout.match(/tickbridge monitor {2}\d\d:\d\d:\d\d/g)?.length, 2, 'two refreshes')
  assert.match(monitor.stdout, /tickbridge-bridge-2\s+alive\s+yes/)

  const again = await runCli(['start', '--bridges', '2', '--sim-port', String(simPort)], vars)
  assert.equal(again.code, 0, again.stderr)
  assert.match(again.stderr, /sim already running/)
  assert.match(again.stderr, /feed-1 already running/)
  assert.deepEqual(
    listLocalProcesses(config).map((p) => p.pid),
    processes.map((p) => p.pid),
    'a second start keeps what runs'
  )

  const stopped = await runCli(['stop'], vars)
  assert.equal(stopped.code, 0, stopped.stderr)
  assert.deepEqual(listLocalProcesses(config), [])
  for (const p of processes) assert.equal(isAlive(p.pid), false, `${p.name} (pid ${p.pid}) exited`)
  const after = await runCli(['health'], vars)
  assert.equal(after.code, 1, 'unhealthy once the hub and bridges are gone')
  assert.match(after.stdout, /hub\s+FAIL/)
})
