import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { createConnection } from 'node:net'
import type { Config } from '../config/types.ts'
import { ErrorCodes, TickbridgeError } from '../errors.ts'
import { natsServers } from '../nats/jetstream.ts'
import {
  commandExists,
  firstExisting,
  portOpen,
  runningPid,
  startServer,
  stopOwned,
  tailFile
} from './processes.ts'

/**
 * The local NATS server of the live path (docs/nats.md): Debian's `nats-server` with JetStream (`-js`), its
 * store under the stack home, on 127.0.0.1:TICKBRIDGE_NATS_PORT. A NATS server with JetStream that already
 * listens there (a system service) is used instead of starting a second one, and left alone by `stack down`.
 */
export function natsPaths(config: Config) {
  const dir = join(config.stack.home, 'nats')
  return {
    dir,
    /** nats-server keeps its JetStream store in `<this>/jetstream`. */
    store: join(dir, 'data'),
    log: join(dir, 'nats-server.log'),
    pid: join(dir, 'nats-server.pid')
  }
}

export interface NatsProbe {
  /** The server answered as NATS. */
  nats: boolean
  jetstream: boolean
  version: string
}

/**
 * What listens at `url` (its first server): a NATS server sends an `INFO {…}` line as soon as a client connects,
 * naming its version and whether JetStream is on. A plain socket, so nothing lingers when it is not NATS.
 */
export function probeNats(url: string, timeoutMs = 1_000): Promise<NatsProbe> {
  const first = natsServers(url)[0] ?? ''
  const address = new URL(first.includes('://') ? first : `nats://${first}`)
  const nothing: NatsProbe = { nats: false, jetstream: false, version: 'unknown' }
  return new Promise((resolve) => {
    const socket = createConnection({ host: address.hostname, port: Number(address.port || 4222) })
    let received = ''
    const done = (probe: NatsProbe) => {
      socket.destroy()
      resolve(probe)
    }
    socket.setTimeout(timeoutMs, () => done(nothing))
    socket.once('error', () => done(nothing))
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1')
      const end = received.indexOf('\r\n')
      if (end < 0 && received.length < 65_536) return
      const line = received.slice(0, end < 0 ? undefined : end)
      if (!line.startsWith('INFO ')) return done(nothing)
      try {
        const info = JSON.parse(line.slice(5)) as { version?: string; jetstream?: boolean }
        done({ nats: true, jetstream: info.jetstream === true, version: info.version ?? 'unknown' })
      } catch {
        done(nothing)
      }
    })
  })
}

export async function natsReady(url: string): Promise<boolean> {
  return (await probeNats(url)).jetstream
}

/** The nats-server binary: on PATH, or where Debian and others put it; null when not installed. */
export function findNatsServer(): string | null {
  if (commandExists('nats-server')) return 'nats-server'
  return firstExisting(['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'])
}

/** Installs Debian's nats-server when none is found and this is Debian/Ubuntu as root. */
function ensureNatsInstalled(progress: (line: string) => void): string {
  const found = findNatsServer()
  if (found) return found
  const canApt = existsSync('/etc/debian_version') && process.getuid?.() === 0 && commandExists('apt-get')
  if (!canApt) {
    throw new TickbridgeError(ErrorCodes.NATS_MISSING, 'No NATS server binary found (`nats-server`).', {
      hint: 'Install nats-server (Debian: `apt-get install nats-server`; or https://nats.io), or point NATS_URL at an existing server with JetStream.'
    })
  }
  progress('Installing nats-server from Debian packages (first run only)...')
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', 'nats-server']
  ]) {
    const result = spawnSync('apt-get', args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', env })
    if (result.status !== 0) {
      throw new TickbridgeError(
        ErrorCodes.NATS_MISSING,
        `apt-get ${args.join(' ')} failed:\n${result.stderr.slice(-2000)}`
      )
    }
  }
  const installed = findNatsServer()
  if (!installed)
    throw new TickbridgeError(
      ErrorCodes.NATS_MISSING,
      'nats-server was installed but its binary was not found.'
    )
  return installed
}

/**
 * Makes sure a NATS server with JetStream answers on the local port: ours (started now or before), or one that
 * already listens there. `pid` is null for a server this stack did not start.
 */
export async function startNats(
  config: Config,
  progress: (line: string) => void
): Promise<{ pid: number | null; started: boolean }> {
  const paths = natsPaths(config)
  const running = runningPid(paths.pid, paths.store)
  if (running !== null) return { pid: running, started: false }
  const port = config.stack.natsPort
  if (await portOpen(port)) {
    // A generous wait: `stack up --cluster` starts seven JVMs and servers at once, and a busy machine can hold
    // the server's INFO line past the 1 s a status probe allows (then the port would look taken by a stranger).
    const probe = await probeNats(config.nats.url, 10_000)
    if (probe.jetstream) {
      progress(
        `NATS ${probe.version} with JetStream already listens on 127.0.0.1:${port} (not started here): using it`
      )
      return { pid: null, started: false }
    }
    throw new TickbridgeError(
      ErrorCodes.PORT_IN_USE,
      `Port ${port} on 127.0.0.1 is in use by ${probe.nats ? 'a NATS server without JetStream' : 'another process'}, so NATS cannot listen there.`,
      {
        hint: probe.nats
          ? 'Restart that server with JetStream (`nats-server -js`), or choose TICKBRIDGE_NATS_PORT, or set NATS_URL.'
          : 'Stop that process, or choose TICKBRIDGE_NATS_PORT, or use an existing NATS with NATS_URL.'
      }
    )
  }
  const binary = ensureNatsInstalled(progress)
  mkdirSync(paths.store, { recursive: true })
  progress(`Starting NATS with JetStream (${binary}) on 127.0.0.1:${port}...`)
  return startServer(
    {
      command: binary,
      args: ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', paths.store, '-n', `tickbridge-${port}`],
      cwd: paths.dir,
      logFile: paths.log,
      pidFile: paths.pid
    },
    () => natsReady(config.nats.url),
    {
      what: 'NATS',
      timeoutMs: config.stack.startTimeoutMs,
      onFailure: () => `Last lines of ${paths.log}:\n${tailFile(paths.log)}`
    }
  )
}

/** The pid of the NATS server this stack started, if it runs. */
export function localNatsPid(config: Config): number | null {
  const paths = natsPaths(config)
  return runningPid(paths.pid, paths.store)
}

export function stopNats(config: Config): Promise<number | null> {
  const paths = natsPaths(config)
  return stopOwned(paths.pid, paths.store)
}
