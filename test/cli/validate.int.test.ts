import assert from 'node:assert/strict'
import { test } from 'node:test'
import { listLocalProcesses } from '../../src/stack/local-processes.ts'
import type { CheckResult } from '../../src/validate/checks.ts'
import { runCli } from '../helpers/cli.ts'
import { pipelineVars } from '../helpers/pipeline.ts'
import { configWith } from '../helpers/hub.ts'
import { freePort } from '../helpers/ports.ts'
import { testEnv } from '../helpers/stack.ts'

test('validate passes on a healthy 3-bridge pipeline and fails naming `instances` when a bridge is killed', async (t) => {
  const env = await testEnv(t)
  const vars = await pipelineVars(t, env, { HUB_DEAD_AFTER_MS: '2000' })
  const started = await runCli(
    ['start', '--bridges', '3', '--rate', '600', '--sim-port', String(await freePort())],
    vars
  )
  assert.equal(started.code, 0, started.stderr)

  const validate = async () => {
    const run = await runCli(
      ['validate', '--json', '--window', '8', '--failover-timeout', '40'],
      vars,
      240_000
    )
    assert.ok(run.stdout.trim(), `validate printed nothing (exit ${run.code}):\n${run.stderr}`)
    return {
      code: run.code,
      stderr: run.stderr,
      ...(JSON.parse(run.stdout) as { passed: boolean; results: CheckResult[] })
    }
  }
  const healthy = await validate()
  for (const r of healthy.results) t.diagnostic(`${r.check} ${r.result}: ${r.evidence}`)
  const outcome = (r: { results: CheckResult[] }) =>
    Object.fromEntries(r.results.map((c) => [c.check, c.result]))
  assert.deepEqual(
    outcome(healthy),
    {
      instances: 'pass',
      partitions: 'pass',
      distribution: 'pass',
      heartbeats: 'pass',
      failover: 'pass',
      duplicates: 'pass',
      backpressure: 'pass'
    },
    JSON.stringify(healthy.results, null, 2)
  )
  assert.equal(healthy.code, 0)
  assert.match(healthy.results.find((r) => r.check === 'partitions')?.evidence ?? '', /6 per topic over 3/)

  const victim = listLocalProcesses(configWith(env, vars), 'bridge').at(-1)
  assert.ok(victim)
  process.kill(victim.pid, 'SIGKILL')
  await new Promise((resolve) => setTimeout(resolve, 4_000)) // past the hub's dead-after time
  const broken = await runCli(
    ['validate', '--window', '3', '--skip-failover', '--skip-backpressure'],
    vars,
    120_000
  )
  assert.equal(broken.code, 1)
  assert.match(broken.stdout, /instances\s+FAIL\s+dead: tickbridge-bridge-3/)
  assert.match(broken.stdout, /FAILED: instances/)
})
