import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { CheckResult } from '../../src/validate/checks.ts'
import { createAdmin } from '../../src/kafka/clients.ts'
import { runCli } from '../helpers/cli.ts'
import { pipelineVars } from '../helpers/pipeline.ts'
import { freePort } from '../helpers/ports.ts'
import { testEnv } from '../helpers/stack.ts'

test('validate passes on worker pools (start --pools trades=2,depth=1): every check per pool', async (t) => {
  const env = await testEnv(t)
  const base = env.config.bridge.groupId
  t.after(async () => {
    const admin = createAdmin(env.config.kafka)
    await admin.deleteGroups({ groups: [`${base}-trades`, `${base}-depth`] }).catch(() => undefined)
    await admin.close()
  })
  const vars = await pipelineVars(t, env, { HUB_DEAD_AFTER_MS: '2000' })
  const started = await runCli(
    ['start', '--pools', 'trades=2,depth=1', '--rate', '600', '--sim-port', String(await freePort())],
    vars
  )
  assert.equal(started.code, 0, started.stderr)
  assert.match(started.stdout, /3 bridge\(s\) in pools trades=2,depth=1/)

  const run = await runCli(
    ['validate', '--json', '--window', '10', '--failover-timeout', '40'],
    vars,
    240_000
  )
  assert.ok(run.stdout.trim(), `validate printed nothing (exit ${run.code}):\n${run.stderr}`)
  const { results } = JSON.parse(run.stdout) as { passed: boolean; results: CheckResult[] }
  for (const r of results) t.diagnostic(`${r.check} ${r.result}: ${r.evidence}`)
  assert.deepEqual(
    Object.fromEntries(results.map((c) => [c.check, c.result])),
    {
      instances: 'pass',
      coverage: 'pass',
      partitions: 'pass',
      distribution: 'pass',
      heartbeats: 'pass',
      failover: 'pass',
      duplicates: 'pass',
      backpressure: 'pass'
    },
    JSON.stringify(results, null, 2)
  )
  assert.equal(run.code, 0)
  const evidence = (check: string) => results.find((r) => r.check === check)?.evidence ?? ''
  assert.match(
    evidence('partitions'),
    /^pool depth: 6 per topic over 1: .* \| pool trades: 6 per topic over 2: /
  )
  assert.match(evidence('failover'), /bridge-trades-2 stopped/)
  assert.match(evidence('backpressure'), /pool depth: .*the other pools kept flowing.* \| pool trades: /)
})
