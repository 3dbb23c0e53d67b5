import assert from 'node:assert/strict'
import { test } from 'node:test'
import { localExchanges } from '../../src/sim/local-exchanges.ts'
import { listLocalProcesses } from '../../src/stack/local-processes.ts'
import { isAlive } from '../../src/stack/processes.ts'
import { runCli } from '../helpers/cli.ts'
import { pipelineVars } from '../helpers/pipeline.ts'
import { configWith } from '../helpers/hub.ts'
import { freePort } from '../helpers/ports.ts'
import { count, testEnv } from '../helpers/stack.ts'

test('start --duration 20: the simulator feeds ClickHouse with a live flow line, then everything it started exits', async (t) => {
  const env = await testEnv(t)
  const vars = await pipelineVars(t, env)

  const run = await runCli(
    [
      'start',
      '--duration',
      '20',
      '--bridges',
      '1',
      '--rate',
      '300',
      '--symbols',
      'BTCUSDT,ETHUSDT',
      '--sim-port',
      String(await freePort())
    ],
    vars
  )
  assert.equal(run.code, 0, run.stderr)

  const started = [...run.stderr.matchAll(/started (\S+) \(pid (\d+)\)/g)].map(([, name, pid]) => ({
    name,
    pid: Number(pid)
  }))
  assert.deepEqual(started.map((p) => p.name).sort(), ['bridge-1', 'feed-1', 'hub', 'sim'])
  const flow = [...run.stderr.matchAll(/trades in ClickHouse: ([\d,]+)\s+\(\+([\d,]+)\/s\)/g)]
  assert.ok(flow.length >= 5, `a flow line every 2 s for 20 s:\n${run.stderr}`)
  assert.ok(Number(flow.at(-1)![1]!.replaceAll(',', '')) > 0, 'the last flow line counts trades')

  const db = env.config.clickhouse.database
  assert.ok(
    (await count(env.clickhouse, `SELECT count() AS n FROM ${db}.trades WHERE exchange = 'wallex'`)) > 300,
    "the simulator's Wallex trades reached ClickHouse through the feed and the bridge"
  )
  assert.deepEqual(listLocalProcesses(configWith(env, vars)), [], 'no process left registered')
  for (const p of started) assert.equal(isAlive(p.pid), false, `${p.name} (pid ${p.pid}) exited`)
})

test('start --exchange <name>: each exchange local server feeds ClickHouse through its own connector', async (t) => {
  const env = await testEnv(t)
  const vars = await pipelineVars(t, env)
  const db = env.config.clickhouse.database
  for (const exchange of Object.keys(localExchanges)) {
    const run = await runCli(
      [
        'start',
        '--exchange',
        exchange,
        '--duration',
        '6',
        '--bridges',
        '1',
        '--rate',
        '100',
        '--sim-port',
        String(await freePort())
      ],
      vars
    )
    assert.equal(run.code, 0, `${exchange}: ${run.stderr}`)
    assert.match(run.stdout, new RegExp(`simulator of ${exchange}`))
    assert.ok(
      (await count(env.clickhouse, `SELECT count() AS n FROM ${db}.trades WHERE exchange = '${exchange}'`)) >
        0,
      `${exchange}: trades from its local server reached ClickHouse through its feed`
    )
    assert.ok(
      (await count(env.clickhouse, `SELECT count() AS n FROM ${db}.depth WHERE exchange = '${exchange}'`)) >
        0,
      `${exchange}: its verified book was published as depth`
    )
    assert.deepEqual(listLocalProcesses(configWith(env, vars)), [], `${exchange}: no process left registered`)
  }
})
