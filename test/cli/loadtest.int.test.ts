import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runCli } from '../helpers/cli.ts'
import { hubInstances, startTestHub } from '../helpers/hub.ts'
import { freePort } from '../helpers/ports.ts'
import { spawnBridge, killAll } from '../helpers/processes.ts'
import { count, eventually, testEnv } from '../helpers/stack.ts'

test('loadtest against a running bridge: every message queryable, latency percentiles, the share per instance', async (t) => {
  const env = await testEnv(t)
  const { hub, instanceVars } = await startTestHub(t, env)
  const bridge = spawnBridge(env, 1, instanceVars)
  t.after(() => killAll([bridge]))
  const id = `test-${env.id}-1`
  await eventually(
    async () =>
      (await hubInstances(hub.url)).some((i) => i.instanceId === id && i.lastHeartbeat.partitions.length > 0),
    () => `the bridge never reported partitions to the hub:\n${bridge.output().slice(-2000)}`
  )

  // Both producers: kcat (what `auto` picks where it is installed, as in CI) and this process's own.
  for (const client of ['kcat', 'node']) {
    const run = await runCli(
      [
        'loadtest',
        '--messages',
        '5000',
        '--rate',
        '5000',
        '--types',
        'trade,depth',
        '--load-client',
        client,
        '--hub',
        hub.url,
        '--timeout',
        '30'
      ],
      env.vars
    )
    t.diagnostic(run.stdout)
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`)
    assert.match(
      run.stdout,
      new RegExp(
        `^loadtest [0-9a-f]{6}: 5,000 messages \\(trade, depth\\) via kafka \\(${client}\\), target 5,000 msg/s$`,
        'm'
      )
    )
    assert.match(run.stdout, /^sent {10}5,000 in \d+\.\d\d s = [\d,]+ msg\/s \(\d+ % of the target\)/m)
    assert.match(
      run.stdout,
      /^queryable {5}all 5,000 after \d+\.\d\d s \(\d+\.\d\d s after the last send\)$/m
    )
    assert.match(run.stdout, /^recv_ts -> queryable {2}p50 \d+ ms, p90 \d+ ms, p99 \d+ ms, max \d+ ms$/m)
    assert.match(run.stdout, /per instance \(partition owners from the hub's instance list\):/)
    // 6 partitions of each of the two topics, all owned by the one bridge
    assert.match(run.stdout, new RegExp(`^${id}\\s+12\\s+5,000\\s+100\\.0 %$`, 'm'))
    assert.match(run.stdout, /^PASSED: every message is queryable$/m)
    assert.match(run.stderr, /waiting .* queryable 5,000/)
  }

  const db = env.config.clickhouse.database
  assert.equal(
    await count(env.clickhouse, `SELECT count() AS n FROM ${db}.trades WHERE exchange = 'loadtest'`),
    5000
  )
  assert.equal(
    await count(env.clickhouse, `SELECT count() AS n FROM ${db}.depth WHERE exchange = 'loadtest'`),
    5000
  )
})

test('loadtest exits 1 when no bridge consumes', async (t) => {
  const env = await testEnv(t)
  const nobody = `http://127.0.0.1:${await freePort()}` // no hub there: the consumer group is asked, and is empty
  const run = await runCli(['loadtest', '--messages', '1000', '--hub', nobody], env.vars)
  assert.equal(run.code, 1)
  assert.match(
    run.stderr,
    /error \[TB_COMMAND_FAILED\]: no bridge consumes t[0-9a-f]+\.trades: nothing would insert/
  )
  assert.equal(run.stdout, '')
})
