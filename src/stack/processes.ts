import { portInUse } from '../port-in-use.ts'
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { dirname } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ErrorCodes, TickbridgeError } from '../errors.ts'

/** Process plumbing for the local stack: detached children with pid files, owned-process checks, waits. */
export interface SpawnOptions {
  command: string
  args: string[]
  cwd: string
  logFile: string
  pidFile: string
  env?: NodeJS.ProcessEnv
}

export function spawnDetached(options: SpawnOptions): number {
  mkdirSync(dirname(options.logFile), { recursive: true })
  const out = openSync(options.logFile, 'a')
  try {
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      detached: true,
      stdio: ['ignore', out, out],
      env: options.env ?? process.env
    })
    // A command that cannot start (ENOENT, EACCES) has no pid, which the check below reports; its 'error'
    // event follows on the next tick and, unheard, would end the process with a stack trace instead.
    child.once('error', () => undefined)
    if (child.pid === undefined)
      throw new TickbridgeError(ErrorCodes.START_FAILED, `could not start ${options.command}`, {
        hint: `Check that ${options.command} exists and is executable.`
      })
    child.unref()
    writeFileSync(options.pidFile, `${child.pid}\n`)
    return child.pid
  } finally {
    closeSync(out)
  }
}

export function readPid(pidFile: string): number | null {
  if (!existsSync(pidFile)) return null
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10)
  return Number.isInteger(pid) && pid > 0 ? pid : null
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return !isZombie(pid)
  } catch {
    return false
  }
}

function isZombie(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

/** True when `pid` is alive and its command line mentions `marker` (so a recycled pid is never ours). */
export function isOwnedProcess(pid: number, marker: string): boolean {
  if (!isAlive(pid)) return false
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(marker)
  } catch {
    return true // no /proc (macOS): trust the pid file
  }
}

/** The pid in `pidFile` when that process is running and is ours; cleans up a stale pid file. */
export function runningPid(pidFile: string, marker: string): number | null {
  const pid = readPid(pidFile)
  if (pid !== null && isOwnedProcess(pid, marker)) return pid
  if (pid !== null) rmSync(pidFile, { force: true })
  return null
}

/** SIGTERM, wait, then SIGKILL. Signals the process group (the stack's children are group leaders). */
export async function stopProcess(pid: number, timeoutMs = 20_000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig)
    } catch {
      try {
        process.kill(pid, sig)
      } catch {
        /* already gone */
      }
    }
  }
  signal('SIGTERM')
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return
    await sleep(200)
  }
  signal('SIGKILL')
  while (isAlive(pid)) await sleep(100)
}

export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host })
    const done = (open: boolean) => {
      socket.destroy()
      resolve(open)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/** Polls `check` until it returns true; throws with `describe()` when `pid` dies or time runs out. */
export async function waitUntil(
  check: () => Promise<boolean>,
  options: { timeoutMs: number; pid?: number; what: string; onFailure: () => string }
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    if (options.pid !== undefined && !isAlive(options.pid)) {
      throw new TickbridgeError(
        ErrorCodes.START_FAILED,
        `${options.what} exited during start-up.\n${options.onFailure()}`
      )
    }
    await sleep(250)
  }
  throw new TickbridgeError(
    ErrorCodes.START_FAILED,
    `${options.what} did not become ready within ${Math.round(options.timeoutMs / 1000)} s.\n${options.onFailure()}`
  )
}

export function tailFile(file: string, lines = 30): string {
  if (!existsSync(file)) return `(no log at ${file})`
  const all = readFileSync(file, 'utf8').trimEnd().split('\n')
  return all.slice(-lines).join('\n')
}

export function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0
}

export function firstExisting(paths: string[]): string | null {
  return paths.find((path) => existsSync(path)) ?? null
}

/** Refuses to start `what` when one of its ports is taken by some other process. */
export async function assertPortsFree(ports: number[], what: string, hint: string): Promise<void> {
  for (const port of ports) {
    if (await portOpen(port)) {
      throw portInUse(port, '127.0.0.1', what, hint)
    }
  }
}

/** Spawns a server detached and waits until `ready`; on failure stops it and says why (with its log tail). */
export async function startServer(
  spawn: SpawnOptions,
  ready: () => Promise<boolean>,
  options: { what: string; timeoutMs: number; onFailure: () => string }
): Promise<{ pid: number; started: true }> {
  const pid = spawnDetached(spawn)
  try {
    await waitUntil(ready, { ...options, pid })
  } catch (error) {
    await stopProcess(pid, 5_000)
    throw error // waitUntil's TB_START_FAILED, naming what and with its log tail
  }
  return { pid, started: true }
}

/** Stops the process of `pidFile` if it runs and is ours; returns its pid, or null when nothing ran. */
export async function stopOwned(pidFile: string, marker: string): Promise<number | null> {
  const pid = runningPid(pidFile, marker)
  if (pid === null) return null
  await stopProcess(pid, 30_000)
  return pid
}
