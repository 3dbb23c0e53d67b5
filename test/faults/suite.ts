/**
 * The fault-injection suite (GitHub issue 11): `npm run test:faults`. Not part of `npm test` (its file name
 * does not end in .test.ts on purpose). Every scenario runs on a second local stack of its own (isolated-stack.ts),
 * with real bridge processes and the load producing throughout; see docs/faults.md.
 *
 * Settings (environment): FAULTS_RATE trades/s of the load (default 2500), FAULTS_SEED (default 11),
 * FAULTS_ONLY=a,c,f to run some scenarios, FAULTS_HOME for the isolated stack's TICKBRIDGE_HOME
 * (default test-artifacts/faults-stack).
 */
import { after, before, test } from 'node:test'
import { join } from 'node:path'
import { projectRoot } from '../../src/config/load.ts'
import { IsolatedStack } from './isolated-stack.ts'
import { formatTable, writeJson, type ScenarioRecord } from './record.ts'
import { snapshotRuntime, type Runtime } from './runtime.ts'
import { runScenario, type Suite } from './scenario.ts'
import { allScenarios } from './scenarios.ts'

const stamp = new Date().toISOString().slice(0, 19).replace(/:/g, '-') + 'Z'
const artifactsDir = join(projectRoot, 'test-artifacts')
const jsonPath = join(artifactsDir, `faults-${stamp}.json`)
const rate = Number(process.env.FAULTS_RATE ?? 2_500)
const seed = Number(process.env.FAULTS_SEED ?? 11)
const only = (process.env.FAULTS_ONLY ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)
const home = process.env.FAULTS_HOME ?? join(artifactsDir, 'faults-stack')

const records: ScenarioRecord[] = []
const startedAt = Date.now()
let runtime: Runtime | null = null
let stack: IsolatedStack | null = null
let suite: Suite | null = null
let setupError: Error | null = null

function save(): void {
  writeJson(jsonPath, {
    suite: 'faults',
    startedAt: new Date(startedAt).toISOString(),
    durationS: Math.round((Date.now() - startedAt) / 1000),
    rate,
    seed,
    stack: stack ? { home: stack.home, ports: stack.ports } : null,
    logs: join(artifactsDir, `faults-${stamp}`),
    scenarios: records
  })
}

before(async () => {
  try {
    runtime = snapshotRuntime('tickbridge-faults')
    stack = new IsolatedStack(runtime, home)
    await stack.up()
    suite = { runtime, stack, artifacts: join(artifactsDir, `faults-${stamp}`), rate, seed }
  } catch (error) {
    setupError = error as Error
  }
})

after(async () => {
  save()
  if (stack) await stack.down()
  runtime?.remove()
})

// Only the ids and titles are read from this list: each scenario is built again with the live suite when it runs.
const placeholder: Suite = {
  runtime: null as unknown as Runtime,
  stack: null as unknown as IsolatedStack,
  artifacts: '',
  rate,
  seed
}
for (const planned of allScenarios(placeholder)) {
  const skip = only.length > 0 && !only.includes(planned.id)
  test(`fault ${planned.id}: ${planned.title}`, { skip, timeout: 8 * 60_000 }, async (t) => {
    if (setupError || !suite) throw setupError ?? new Error('the isolated stack is not up')
    // Rebuild the scenario with the live suite (stack, runtime), same seed: same kills, same flood.
    const options = allScenarios(suite).find((s) => s.id === planned.id)!
    try {
      await runScenario(t, suite, options, records)
    } finally {
      const record = records.at(-1)
      if (record) t.diagnostic(formatTable([record]).split('\n').slice(1).join('\n'))
      save()
    }
  })
}

test('fault suite report', async (t) => {
  save()
  for (const line of formatTable(records).split('\n')) t.diagnostic(line)
  t.diagnostic(`written to ${jsonPath}; logs in ${join(artifactsDir, `faults-${stamp}`)}`)
  t.diagnostic(`total ${Math.round((Date.now() - startedAt) / 1000)} s`)
})
