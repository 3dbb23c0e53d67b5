import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Config } from '../config/types.ts'
import { ErrorCodes, TickbridgeError } from '../errors.ts'
import {
  assertPortsFree,
  commandExists,
  firstExisting,
  runningPid,
  startServer,
  stopOwned,
  tailFile
} from './processes.ts'

/**
 * The local ClickHouse server: a `clickhouse` binary on the PATH (current releases) or Debian's
 * `clickhouse-server` (18.16), run with the project's own config, data dir and ports on 127.0.0.1.
 */
export function clickhousePaths(config: Config, dir = join(config.stack.home, 'clickhouse')) {
  return {
    dir,
    config: join(dir, 'config.xml'),
    users: join(dir, 'users.xml'),
    data: join(dir, 'data') + '/',
    log: join(dir, 'log', 'clickhouse-server.log'),
    errorLog: join(dir, 'log', 'clickhouse-server.err.log'),
    stdout: join(dir, 'log', 'stdout.log'),
    pid: join(dir, 'clickhouse.pid')
  }
}

export type ClickHousePaths = ReturnType<typeof clickhousePaths>

interface ServerBinary {
  command: string
  args: (configFile: string) => string[]
}

export function findClickHouse(): ServerBinary | null {
  if (commandExists('clickhouse'))
    return { command: 'clickhouse', args: (c) => ['server', `--config-file=${c}`] }
  const debian = commandExists('clickhouse-server')
    ? 'clickhouse-server'
    : firstExisting(['/usr/sbin/clickhouse-server', '/usr/bin/clickhouse-server'])
  if (debian) return { command: debian, args: (c) => [`--config-file=${c}`] }
  return null
}

/** Installs Debian's clickhouse-server when no ClickHouse is found and this is Debian/Ubuntu as root. */
export function ensureClickHouseInstalled(progress: (line: string) => void): ServerBinary {
  const found = findClickHouse()
  if (found) return found
  const canApt = existsSync('/etc/debian_version') && process.getuid?.() === 0 && commandExists('apt-get')
  if (!canApt) {
    throw new TickbridgeError(
      ErrorCodes.CLICKHOUSE_MISSING,
      'No ClickHouse server binary found (`clickhouse` or `clickhouse-server`).',
      {
        hint: 'Install ClickHouse (https://clickhouse.com/docs/install, or `apt-get install clickhouse-server` on Debian), or point CLICKHOUSE_URL at an existing server.'
      }
    )
  }
  progress('Installing clickhouse-server from Debian packages (first run only)...')
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', 'clickhouse-server', 'clickhouse-client']
  ]) {
    const result = spawnSync('apt-get', args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', env })
    if (result.status !== 0) {
      throw new TickbridgeError(
        ErrorCodes.CLICKHOUSE_MISSING,
        `apt-get ${args.join(' ')} failed:\n${result.stderr.slice(-2000)}`
      )
    }
  }
  const installed = findClickHouse()
  if (!installed)
    throw new TickbridgeError(
      ErrorCodes.CLICKHOUSE_MISSING,
      'clickhouse-server was installed but its binary was not found.'
    )
  return installed
}

function passwordXml(password: string): string {
  if (!password) return '<password></password>'
  return `<password_sha256_hex>${createHash('sha256').update(password).digest('hex')}</password_sha256_hex>`
}

/** One server's ports, and config elements of a cluster node (clickhouse-cluster.ts) appended to config.xml. */
export interface ServerLayout {
  paths: ClickHousePaths
  httpPort: number
  tcpPort: number
  extraXml?: string
}

function writeClickHouseConfig(config: Config, layout: ServerLayout): void {
  const { paths, httpPort: clickhouseHttpPort, tcpPort: clickhouseTcpPort, extraXml = '' } = layout
  mkdirSync(join(paths.dir, 'log'), { recursive: true })
  // <yandex> is the root element 18.16 requires; current releases still accept it.
  writeFileSync(
    paths.config,
    `<?xml version="1.0"?>
<!-- Written by tickbridge stack up; edits are overwritten. -->
<yandex>
  <logger>
    <level>warning</level>
    <log>${paths.log}</log>
    <errorlog>${paths.errorLog}</errorlog>
    <size>100M</size>
    <count>3</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${clickhouseHttpPort}</http_port>
  <tcp_port>${clickhouseTcpPort}</tcp_port>
  <path>${paths.data}</path>
  <tmp_path>${join(paths.dir, 'tmp')}/</tmp_path>
  <user_files_path>${join(paths.dir, 'user_files')}/</user_files_path>
  <format_schema_path>${join(paths.dir, 'format_schemas')}/</format_schema_path>
  <users_config>${paths.users}</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>200</max_concurrent_queries>
  <timezone>UTC</timezone>
  <part_log><database>system</database><table>part_log</table><flush_interval_milliseconds>7500</flush_interval_milliseconds></part_log>
  <query_log><database>system</database><table>query_log</table><flush_interval_milliseconds>7500</flush_interval_milliseconds></query_log>
${extraXml}</yandex>
`,
    // A cluster node's config may hold the password of its peers (remote_servers): readable by the owner only,
    // from its first write (the chmod covers a file an older version wrote).
    { mode: 0o600 }
  )
  chmodSync(paths.config, 0o600)
  writeFileSync(
    paths.users,
    `<?xml version="1.0"?>
<!-- The local default user. Set CLICKHOUSE_PASSWORD before \`tickbridge stack up\` to require a password. -->
<yandex>
  <profiles><default><max_memory_usage>8000000000</max_memory_usage><log_queries>1</log_queries></default></profiles>
  <users>
    <default>
      ${passwordXml(config.clickhouse.password)}
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`
  )
}

export async function clickhouseReady(url: string): Promise<boolean> {
  try {
    const response = await fetch(new URL('/ping', url), { signal: AbortSignal.timeout(1000) })
    return response.ok
  } catch {
    return false
  }
}

export function startClickHouse(
  config: Config,
  progress: (line: string) => void
): Promise<{ pid: number; started: boolean }> {
  return startClickHouseServer(
    config,
    {
      paths: clickhousePaths(config),
      httpPort: config.stack.clickhouseHttpPort,
      tcpPort: config.stack.clickhouseTcpPort
    },
    progress,
    {
      what: 'ClickHouse',
      portsHint:
        'Stop that process (a system clickhouse-server?), or choose TICKBRIDGE_CLICKHOUSE_HTTP_PORT / TICKBRIDGE_CLICKHOUSE_TCP_PORT, or use it with CLICKHOUSE_URL.'
    }
  )
}

/** Starts one ClickHouse server of the local stack (the single one, or a node of the cluster) unless it runs. */
export async function startClickHouseServer(
  config: Config,
  layout: ServerLayout & { otherPorts?: number[] },
  progress: (line: string) => void,
  names: { what: string; portsHint: string }
): Promise<{ pid: number; started: boolean }> {
  const { paths } = layout
  const running = runningPid(paths.pid, paths.config)
  if (running !== null) return { pid: running, started: false }
  const binary = ensureClickHouseInstalled(progress)
  await assertPortsFree(
    [layout.httpPort, layout.tcpPort, ...(layout.otherPorts ?? [])],
    names.what,
    names.portsHint
  )
  writeClickHouseConfig(config, layout)
  const url = `http://127.0.0.1:${layout.httpPort}`
  progress(`Starting ${names.what} (${binary.command}) on 127.0.0.1:${layout.httpPort}...`)
  return startServer(
    {
      command: binary.command,
      args: binary.args(paths.config),
      cwd: paths.dir,
      logFile: paths.stdout,
      pidFile: paths.pid
    },
    () => clickhouseReady(url),
    {
      what: names.what,
      timeoutMs: config.stack.startTimeoutMs,
      onFailure: () =>
        `Last lines of ${paths.errorLog}:\n${tailFile(paths.errorLog)}\n${tailFile(paths.stdout, 10)}`
    }
  )
}

export function stopClickHouse(config: Config): Promise<number | null> {
  const paths = clickhousePaths(config)
  return stopOwned(paths.pid, paths.config)
}
