import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { runCli } from './cli.ts'
import { freePort } from './ports.ts'
import type { TestEnv } from './stack.ts'

/**
 * Variables for running the whole pipeline through the CLI (`start`, `validate`, `stop`) in a test: the
 * shared stack by address, pid files and logs in a home of the test's own, a hub on a free port. Whatever
 * is still running is stopped after the test.
 */
export async function pipelineVars(
  t: TestContext,
  env: TestEnv,
  extra: Record<string, string> = {}
): Promise<Record<string, string>> {
  const home = mkdtempSync(join(tmpdir(), 'tickbridge-pipeline-'))
  const hubPort = await freePort()
  const vars = {
    ...env.vars,
    TICKBRIDGE_HOME: home,
    KAFKA_BROKERS: env.config.kafka.brokers.join(','),
    CLICKHOUSE_URL: env.config.clickhouse.urls.join(','),
    CLICKHOUSE_CLUSTER: env.config.clickhouse.cluster,
    HUB_PORT: String(hubPort),
    HUB_URL: `http://127.0.0.1:${hubPort}`,
    ...extra
  }
  t.after(async () => {
    await runCli(['stop'], vars)
    rmSync(home, { recursive: true, force: true })
  })
  return vars
}
