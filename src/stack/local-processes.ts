import { WORKER_NODE_FLAGS } from '../node-flags.ts'
import type { SourceMode } from '../bridge/source-mode.ts'
import { mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { cliEntry } from '../config/load.ts'
import type { Config } from '../config/types.ts'
import { ALL_POOL, type PoolTarget } from '../core/pools.ts'
import { runningPid, spawnDetached, stopProcess } from './processes.ts'

/**
 * The pipeline's processes this machine runs in the background (`tickbridge start`, `scale`): each one a
 * `tickbridge <role> ...` child with a pid file in <home>/run and a log in <home>/logs, named `hub`, `sim`,
 * `feed-<n>`, `bridge-<n>` or, in a worker pool, `bridge-<pool>-<n>`. Bridges of every type are instance
 * tickbridge-bridge-<n> with /metrics on 9400+n, feeds 9500+n; a pool's bridges are tickbridge-bridge-<pool>-<n>
 * (`tickbridge bridge --pool <pool>`, ordinals counted per pool) on a free port each (their heartbeats and
 * `tickbridge status` say which).
 */
export const LocalRoles = ['hub', 'sim', 'feed', 'bridge'] as const
export type LocalRole = (typeof LocalRoles)[number]

export interface LocalProcess {
  name: string
  role: LocalRole
  ordinal: number
  pid: number
  log: string
  /** Bridges: the worker pool (`all`: every type). */
  pool?: string
}

export interface LocalProcessSpec {
  role: LocalRole
  ordinal: number
  /** Arguments after `tickbridge <role>`. */
  args?: string[]
  env?: Record<string, string>
  /** Bridges: the worker pool by a name that says its types (`trades`, `depth`, `trade-quote`); default `all`. */
  pool?: string
}

export function processName(role: LocalRole, ordinal: number, pool = ALL_POOL): string {
  if (role === 'hub' || role === 'sim') return role
  return role === 'bridge' && pool !== ALL_POOL ? `${role}-${pool}-${ordinal}` : `${role}-${ordinal}`
}

export function localProcessPaths(config: Config, name: string) {
  return {
    pid: join(config.stack.home, 'run', `${name}.pid`),
    log: join(config.stack.home, 'logs', `${name}.log`)
  }
}

/**
 * Running processes of `role` (all roles when omitted; bridges of one `pool` when given), by role, pool and
 * ordinal; stale pid files are removed.
 */
export function listLocalProcesses(config: Config, role?: LocalRole, pool?: string): LocalProcess[] {
  const runDir = join(config.stack.home, 'run')
  mkdirSync(runDir, { recursive: true })
  const found: LocalProcess[] = []
  for (const file of readdirSync(runDir)) {
    const match = /^(hub|sim|feed|bridge)(?:-(?:([a-z][a-z0-9-]*)-)?(\d+))?\.pid$/.exec(file)
    if (!match || (role && match[1] !== role)) continue
    const processRole = match[1] as LocalRole
    if (match[2] !== undefined && processRole !== 'bridge') continue
    const processPool = processRole === 'bridge' ? (match[2] ?? ALL_POOL) : undefined
    if (pool !== undefined && processPool !== pool) continue
    const ordinal = Number(match[3] ?? 1)
    const name = processName(processRole, ordinal, processPool)
    const pid = runningPid(join(runDir, file), `${cliEntry} ${processRole}`)
    if (pid !== null) {
      found.push({
        name,
        role: processRole,
        ordinal,
        pid,
        log: localProcessPaths(config, name).log,
        ...(processPool === undefined ? {} : { pool: processPool })
      })
    }
  }
  const poolOrder = (p: LocalProcess) => (p.pool === ALL_POOL ? '' : (p.pool ?? ''))
  return found.sort(
    (a, b) =>
      LocalRoles.indexOf(a.role) - LocalRoles.indexOf(b.role) ||
      poolOrder(a).localeCompare(poolOrder(b)) ||
      a.ordinal - b.ordinal
  )
}

function defaultEnv(role: LocalRole, ordinal: number, pool: string): Record<string, string> {
  if (role === 'bridge') {
    // Pools count ordinals of their own, so 9400+n would collide: a free port each (reported in heartbeats).
    const port = pool === ALL_POOL ? 9400 + ordinal : 0
    return { INSTANCE_ORDINAL: String(ordinal), INSTANCE_ID: '', METRICS_PORT: String(port) }
  }
  if (role === 'feed') return { INSTANCE_ORDINAL: String(ordinal), METRICS_PORT: String(9500 + ordinal) }
  return {}
}

export function startLocalProcess(config: Config, spec: LocalProcessSpec): LocalProcess {
  const pool = spec.role === 'bridge' ? (spec.pool ?? ALL_POOL) : undefined
  const name = processName(spec.role, spec.ordinal, pool)
  const paths = localProcessPaths(config, name)
  mkdirSync(join(config.stack.home, 'logs'), { recursive: true })
  const poolArgs = pool !== undefined && pool !== ALL_POOL ? ['--pool', pool] : []
  const pid = spawnDetached({
    command: process.execPath,
    // V8 flags first: they size the heap at start-up (src/node-flags.ts).
    args: [
      ...(spec.role === 'bridge' || spec.role === 'feed' ? WORKER_NODE_FLAGS : []),
      cliEntry,
      spec.role,
      ...poolArgs,
      ...(spec.args ?? [])
    ],
    cwd: process.cwd(),
    logFile: paths.log,
    pidFile: paths.pid,
    env: {
      ...process.env,
      LOG_PRETTY: 'false',
      // The same stack as the command that starts it (`start --cluster`: the local cluster).
      TICKBRIDGE_CLUSTER: String(config.stack.cluster),
      // A pool is given by --pool (or none): not by variables this shell may have set.
      ...(spec.role === 'bridge' ? { BRIDGE_POOL: '', BRIDGE_TYPES: '' } : {}),
      ...defaultEnv(spec.role, spec.ordinal, pool ?? ALL_POOL),
      ...spec.env
    }
  })
  return {
    name,
    role: spec.role,
    ordinal: spec.ordinal,
    pid,
    log: paths.log,
    ...(pool === undefined ? {} : { pool })
  }
}

/** Graceful: SIGTERM lets a bridge drain, commit and leave its group (bounded by its own timeout). */
export async function stopLocalProcess(local: LocalProcess): Promise<void> {
  await stopProcess(local.pid, 30_000)
}

/**
 * Brings the local bridges to a layout: per pool, starts the lowest free ordinals or stops the highest ones
 * until its count run. A number is that many bridges of every type (the pool `all`). The pool `all` and the
 * other pools exclude each other (they would consume the same topics twice): a layout with `all` stops every
 * other pool, a layout of pools stops the bridges of every type. Pools the layout does not name keep running.
 */
export async function scaleLocalBridges(
  config: Config,
  layout: number | readonly Pick<PoolTarget, 'name' | 'count'>[],
  /** Where the bridges it starts read (`bridge --source`); the running ones are kept as they are. */
  source: SourceMode = 'kafka'
): Promise<{ started: LocalProcess[]; stopped: LocalProcess[] }> {
  const targets = typeof layout === 'number' ? [{ name: ALL_POOL, count: layout }] : layout
  const running = listLocalProcesses(config, 'bridge')
  const countOf = new Map(targets.map((t) => [t.name, t.count]))
  const withAll = countOf.has(ALL_POOL)
  const stopped: LocalProcess[] = []
  const toStart: { pool: string; ordinal: number }[] = []
  for (const pool of new Set([...running.map((b) => b.pool ?? ALL_POOL), ...countOf.keys()])) {
    const excluded = withAll ? pool !== ALL_POOL : pool === ALL_POOL
    const count = countOf.get(pool) ?? (excluded ? 0 : undefined)
    if (count === undefined) continue
    const members = running.filter((b) => (b.pool ?? ALL_POOL) === pool)
    stopped.push(...members.slice(count))
    const used = new Set(members.map((b) => b.ordinal))
    for (let ordinal = 1, have = members.length; have < count; ordinal++) {
      if (used.has(ordinal)) continue
      toStart.push({ pool, ordinal })
      have++
    }
  }
  await Promise.all(stopped.map(stopLocalProcess))
  const started = toStart.map(({ pool, ordinal }) =>
    startLocalProcess(config, {
      role: 'bridge',
      ordinal,
      pool,
      ...(source === 'kafka' ? {} : { args: ['--source', source] })
    })
  )
  return { started, stopped }
}
