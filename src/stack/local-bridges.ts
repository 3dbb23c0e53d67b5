import { readdirSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { cliEntry } from '../config/load.ts'
import type { Config } from '../config/types.ts'
import { runningPid, spawnDetached, stopProcess } from './processes.ts'

/**
 * Bridge processes this machine runs in the background (`tickbridge scale N`): one per ordinal, with a pid
 * file in .tickbridge/run and a log in .tickbridge/logs. Instance ids are tickbridge-bridge-<ordinal>.
 */
export interface LocalBridge {
  ordinal: number
  pid: number
  log: string
}

const marker = `${cliEntry} bridge`

export function localBridgePaths(config: Config, ordinal: number) {
  return {
    pid: join(config.stack.home, 'run', `bridge-${ordinal}.pid`),
    log: join(config.stack.home, 'logs', `bridge-${ordinal}.log`)
  }
}

export function listLocalBridges(config: Config): LocalBridge[] {
  const runDir = join(config.stack.home, 'run')
  mkdirSync(runDir, { recursive: true })
  const bridges: LocalBridge[] = []
  for (const file of readdirSync(runDir)) {
    const match = /^bridge-(\d+)\.pid$/.exec(file)
    if (!match) continue
    const ordinal = Number(match[1])
    const pid = runningPid(join(runDir, file), marker)
    if (pid !== null) bridges.push({ ordinal, pid, log: localBridgePaths(config, ordinal).log })
  }
  return bridges.sort((a, b) => a.ordinal - b.ordinal)
}

export function startLocalBridge(config: Config, ordinal: number): LocalBridge {
  const paths = localBridgePaths(config, ordinal)
  mkdirSync(join(config.stack.home, 'logs'), { recursive: true })
  const pid = spawnDetached({
    command: process.execPath,
    args: [cliEntry, 'bridge'],
    cwd: process.cwd(),
    logFile: paths.log,
    pidFile: paths.pid,
    env: { ...process.env, INSTANCE_ORDINAL: String(ordinal), INSTANCE_ID: '', LOG_PRETTY: 'false' }
  })
  return { ordinal, pid, log: paths.log }
}

/** Graceful: SIGTERM lets the bridge drain, commit and leave the group (bounded by the bridge's own timeout). */
export async function stopLocalBridge(bridge: LocalBridge): Promise<void> {
  await stopProcess(bridge.pid, 30_000)
}

/** Starts the lowest free ordinals or stops the highest ones until `target` bridges run. */
export async function scaleLocalBridges(
  config: Config,
  target: number
): Promise<{ started: LocalBridge[]; stopped: LocalBridge[] }> {
  const running = listLocalBridges(config)
  const started: LocalBridge[] = []
  const stopped = running.slice(target)
  await Promise.all(stopped.map(stopLocalBridge))
  const used = new Set(running.map((b) => b.ordinal))
  for (let ordinal = 1; running.length + started.length < target; ordinal++) {
    if (!used.has(ordinal)) started.push(startLocalBridge(config, ordinal))
  }
  return { started, stopped }
}
