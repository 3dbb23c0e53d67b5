import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { GroupAssignmentReport } from '../../src/kafka/group.ts'
import { runCli } from '../helpers/cli.ts'
import { testEnv } from '../helpers/stack.ts'

test('scale N starts and stops local bridges and reports a balanced assignment; extra instances sit idle', async (t) => {
  const env = await testEnv(t)
  const home = mkdtempSync(join(tmpdir(), 'tickbridge-scale-'))
  // The shared stack by address; the bridges' pid files and logs in a home of this test's own.
  const vars = {
    ...env.vars,
    TICKBRIDGE_HOME: home,
    KAFKA_BROKERS: env.config.kafka.brokers.join(','),
    CLICKHOUSE_URL: env.config.clickhouse.url
  }
  t.after(async () => {
    await runCli(['scale', '0', '--timeout', '20'], vars)
    rmSync(home, { recursive: true, force: true })
  })
  const scale = async (n: number) => {
    const result = await runCli(['scale', String(n), '--json', '--timeout', '60'], vars)
    assert.equal(result.code, 0, `scale ${n}: ${result.stderr}`)
    return JSON.parse(result.stdout) as GroupAssignmentReport
  }
  const topics = env.topics.slice(0, 4)
  const perTopic = (report: GroupAssignmentReport) =>
    report.members.map((m) =>
      topics.map((topic) => m.partitions.filter((p) => p.startsWith(`${topic}:`)).length)
    )

  const three = await scale(3)
  assert.equal(three.members.length, 3)
  assert.deepEqual(perTopic(three), [
    [2, 2, 2, 2],
    [2, 2, 2, 2],
    [2, 2, 2, 2]
  ])
  assert.deepEqual(
    three.members.map((m) => m.instanceId),
    ['tickbridge-bridge-1', 'tickbridge-bridge-2', 'tickbridge-bridge-3']
  )

  const seven = await runCli(['scale', '7', '--timeout', '60'], vars)
  assert.equal(seven.code, 0, seven.stderr)
  assert.equal((seven.stdout.match(/idle \(more instances than partitions\)/g) ?? []).length, 1, seven.stdout)
  assert.equal((seven.stdout.match(/consuming/g) ?? []).length, 6, seven.stdout)

  const one = await scale(1) // rollback to one instance
  assert.equal(one.members.length, 1)
  assert.equal(one.members[0]?.instanceId, 'tickbridge-bridge-1')
  assert.deepEqual(perTopic(one), [[6, 6, 6, 6]])
})
