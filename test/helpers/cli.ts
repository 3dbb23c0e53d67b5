import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const cliPath = fileURLToPath(new URL('../../../bin/tickbridge.js', import.meta.url))

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/**
 * Runs the real `tickbridge` CLI as a user would, with extra environment variables (`entry`: another copy of
 * the CLI, e.g. the fault suite's private one).
 */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 180_000,
  entry = cliPath
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], {
      env: { ...process.env, LOG_PRETTY: 'false', ...env },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code: code ?? 1, stdout, stderr })
    })
  })
}
