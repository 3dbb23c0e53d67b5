import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { cliPath, runCli } from '../helpers/cli.ts'
import { eventually } from '../helpers/stack.ts'

const T0 = Date.parse('2025-06-01T10:00:00Z')
const pino = (time: number, instanceId: string, msg: string) =>
  `${JSON.stringify({ level: 30, time, pid: 1, hostname: 'h', role: 'bridge', instanceId, msg })}\n`

/** A TICKBRIDGE_HOME with the logs of two bridges and the simulator, lines alternating in time. */
function logHome(t: TestContext): { home: string; env: Record<string, string> } {
  const home = mkdtempSync(join(tmpdir(), 'tb-logs-'))
  t.after(() => rmSync(home, { recursive: true, force: true }))
  mkdirSync(join(home, 'logs'))
  const lines = (id: string, offset: number) =>
    Array.from({ length: 5 }, (_, i) =>
      pino(T0 + i * 1000 + offset, `tickbridge-${id}`, `${id} line ${i}`)
    ).join('')
  writeFileSync(join(home, 'logs', 'bridge-1.log'), lines('bridge-1', 0))
  writeFileSync(join(home, 'logs', 'bridge-2.log'), lines('bridge-2', 500))
  writeFileSync(join(home, 'logs', 'sim.log'), lines('sim', 250))
  return { home, env: { TICKBRIDGE_HOME: home } }
}

test('tickbridge logs bridge: only bridge logs, interleaved by time, prefixed, last n', async (t) => {
  const { env } = logHome(t)
  const result = await runCli(['logs', 'bridge', '--raw', '-n', '4'], env)
  assert.equal(result.code, 0, result.stderr)
  const lines = result.stdout.trimEnd().split('\n')
  assert.deepEqual(
    lines.map((line) => [
      line.split(' | ')[0]?.trim(),
      (JSON.parse(line.split(' | ')[1] ?? '') as { msg: string }).msg
    ]),
    [
      ['bridge-1', 'bridge-1 line 3'],
      ['bridge-2', 'bridge-2 line 3'],
      ['bridge-1', 'bridge-1 line 4'],
      ['bridge-2', 'bridge-2 line 4']
    ]
  )
})

test('tickbridge logs <instance>: that instance only, pretty by default', async (t) => {
  const { env } = logHome(t)
  const result = await runCli(['logs', 'tickbridge-bridge-2', '-n', '2'], env)
  assert.equal(result.code, 0, result.stderr)
  assert.doesNotMatch(result.stdout, /bridge-1|sim line|\{"level"/)
  assert.match(result.stdout, /INFO.*bridge-2 line 3/)
  assert.match(result.stdout, /INFO.*bridge-2 line 4/)
  assert.equal(result.stdout.match(/INFO/g)?.length, 2)

  const none = await runCli(['logs', 'hub'], env)
  assert.equal(none.code, 1)
  assert.match(none.stderr, /no log matches "hub"[\s\S]*Logs there: bridge-1, bridge-2, sim/)
})

test('tickbridge logs -f prints lines appended after it started', async (t) => {
  const { home, env } = logHome(t)
  const child = spawn(process.execPath, [cliPath, 'logs', 'bridge', '-f', '-n', '1', '--raw'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.after(() => child.kill('SIGKILL'))
  let stdout = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  await eventually(
    async () => stdout.includes('bridge-2 line 4'),
    () => stdout,
    10_000
  )
  appendFileSync(join(home, 'logs', 'bridge-1.log'), pino(T0 + 9000, 'tickbridge-bridge-1', 'appended'))
  writeFileSync(join(home, 'logs', 'bridge-3.log'), pino(T0 + 9500, 'tickbridge-bridge-3', 'a new bridge'))
  await eventually(
    async () => stdout.includes('"msg":"appended"') && stdout.includes('"msg":"a new bridge"'),
    () => stdout,
    10_000
  )
  assert.doesNotMatch(stdout, /sim line/)
  child.kill('SIGINT')
})
