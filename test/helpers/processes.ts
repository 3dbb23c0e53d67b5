import { spawn, type ChildProcess } from 'node:child_process'
import { cliEntry } from '../../src/config/load.ts'
import type { TestEnv } from './stack.ts'

/** A real `tickbridge bridge` process for this test's topics and database; killed (if alive) after the test. */
export interface BridgeProcess {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
}

export function spawnBridge(
  env: TestEnv,
  ordinal: number,
  extra: Record<string, string> = {},
  args: string[] = []
): BridgeProcess {
  const child = spawn(process.execPath, [cliEntry, 'bridge', ...args], {
    env: {
      ...process.env,
      ...env.vars,
      INSTANCE_ORDINAL: String(ordinal),
      INSTANCE_ID: `test-${env.id}-${ordinal}`,
      ...extra
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, output: () => output, exited }
}

export async function killAll(bridges: BridgeProcess[]): Promise<void> {
  for (const b of bridges)
    if (b.child.exitCode === null && b.child.signalCode === null) b.child.kill('SIGKILL')
  await Promise.all(bridges.map((b) => b.exited))
}
