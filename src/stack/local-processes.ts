import { mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { cliEntry } from '../config/load.ts'
import type { Config } from '../config/types.ts'
import { runningPid, spawnDetached, stopProcess } from './processes.ts'

/**
 * The pipeline's processes this machine runs in the background (`tickbridge start`, `scale`): each one a
 * `tickbridge <role> ...` child with a pid file in <home>/run and a log in <home>/logs, named `hub`, `sim`,
 * `feed-<n>` or `bridge-<n>`. Bridges are instance tickbridge-bridge-<n> with /metrics on 9400+n, feeds
 * 9500+n.
 */
export const LocalRoles = ['hub', 'sim', 'feed', 'bridge'] as const
export type LocalRole = (typeof LocalRoles)[number]

export interface LocalProcess {
  name: string
  role: LocalRole
  ordinal: number
  pid: number
  log: string
}

export interface LocalProcessSpec {
  role: LocalRole
  ordinal: number
  /** Arguments after `tickbridge <role>`. */
  args?: string[]
  env?: Record<string, string>
}

export function processName(role: LocalRole, ordinal: number): string {
  return role === 'hub' || role === 'sim' ? role : `${role}-${ordinal}`
}

export function localProcessPaths(config: Config, name: string) {
  return {
    pid: join(config.stack.home, 'run', `${name}.pid`),
    log: join(config.stack.home, 'logs', `${name}.log`)
  }
}

/** Running processes of `role` (all roles when omitted), by role then ordinal; stale pid files are removed. */
export function listLocalProcesses(config: Config, role?: LocalRole): LocalProcess[] {
  const runDir = join(config.stack.home, 'run')
  mkdirSync(runDir, { recursive: true })
  const found: LocalProcess[] = []
  for (const file of readdirSync(runDir)) {
    const match = /^(hub|sim|feed|bridge)(?:-(\d+))?\.pid$/.exec(file)
    if (!match || (role && match[1] !== role)) continue
    const processRole = match[1] as LocalRole
    const ordinal = Number(match[2] ?? 1)
    const name = processName(processRole, ordinal)
    const pid = runningPid(join(runDir, file), `${cliEntry} ${processRole}`)
    if (pid !== null)
      found.push({ name, role: processRole, ordinal, pid, log: localProcessPaths(config, name).log })
  }
  return found.sort(
    (a, b) => LocalRoles.indexOf(a.role) - LocalRoles.indexOf(b.role) || a.ordinal - b.ordinal
  )
}

function defaultEnv(role: LocalRole, ordinal: number): Record<string, string> {
  if (role === 'bridge')
    return { INSTANCE_ORDINAL: String(ordinal), INSTANCE_ID: '', METRICS_PORT: String(9400 + ordinal) }
  if (role === 'feed') return { INSTANCE_ORDINAL: String(ordinal), METRICS_PORT: String(9500 + ordinal) }
  return {}
}

export function startLocalProcess(config: Config, spec: LocalProcessSpec): LocalProcess {
  const name = processName(spec.role, spec.ordinal)
  const paths = localProcessPaths(config, name)
  mkdirSync(join(config.stack.home, 'logs'), { recursive: true })
  const pid = spawnDetached({
    command: process.execPath,
    args: [cliEntry, spec.role, ...(spec.args ?? [])],
    cwd: process.cwd(),
    logFile: paths.log,
    pidFile: paths.pid,
    env: { ...process.env, LOG_PRETTY: 'false', ...defaultEnv(spec.role, spec.ordinal), ...spec.env }
  })
  return { name, role: spec.role, ordinal: spec.ordinal, pid, log: paths.log }
}

/** Graceful: SIGTERM lets a bridge drain, commit and leave its group (bounded by its own timeout). */
export async function stopLocalProcess(local: LocalProcess): Promise<void> {
  await stopProcess(local.pid, 30_000)
}

/** Starts the lowest free ordinals or stops the highest ones until `target` bridges run. */
export async function scaleLocalBridges(
  config: Config,
  target: number
): Promise<{ started: LocalProcess[]; stopped: LocalProcess[] }> {
  const running = listLocalProcesses(config, 'bridge')
  const started: LocalProcess[] = []
  const stopped = running.slice(target)
  await Promise.all(stopped.map(stopLocalProcess))
  const used = new Set(running.map((b) => b.ordinal))
  for (let ordinal = 1; running.length + started.length < target; ordinal++) {
    if (!used.has(ordinal)) started.push(startLocalProcess(config, { role: 'bridge', ordinal }))
  }
  return { started, stopped }
}
