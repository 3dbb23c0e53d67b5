import { mkdirSync, readdirSync, writeFileSync, existsSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { projectRoot } from '../config/load.ts'
import type { Config } from '../config/types.ts'
import { requireJava } from './kafka-server.ts'
import { installMavenJars } from './maven.ts'
import { assertPortsFree, runningPid, startServer, stopOwned, tailFile } from './processes.ts'

/**
 * The local cluster's ZooKeeper (`stack up --cluster`): one standalone server on 127.0.0.1, from Maven Central
 * jars as Kafka is. Debian's ClickHouse 18.16 keeps its replication logs and ON CLUSTER DDL queue there.
 */
export function zookeeperPaths(config: Config) {
  const dir = join(config.stack.home, 'zookeeper')
  return {
    dir,
    lib: join(dir, 'lib'),
    data: join(dir, 'data'),
    config: join(dir, 'zoo.cfg'),
    log: join(dir, 'zookeeper.log'),
    pid: join(dir, 'zookeeper.pid'),
    pom: join(projectRoot, 'zookeeper-pom.xml')
  }
}

export function zookeeperVersion(config: Config): string {
  const { lib } = zookeeperPaths(config)
  const jar = existsSync(lib) ? readdirSync(lib).find((f) => /^zookeeper-\d.*\.jar$/.test(f)) : undefined
  return jar?.replace(/^zookeeper-(.*)\.jar$/, '$1') ?? 'unknown'
}

/** A four-letter word to ZooKeeper's client port, and its answer (`ruok` → `imok`). */
export function fourLetterWord(port: number, word: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' })
    let answer = ''
    socket.setTimeout(timeoutMs, () => socket.destroy())
    socket.once('connect', () => socket.write(word))
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')))
    socket.once('close', () => resolve(answer))
    socket.once('error', () => resolve(''))
  })
}

/** Serving: `srvr` shows the mode (`ruok` says imok even when the server failed to start behind the port). */
export async function zookeeperReady(port: number): Promise<boolean> {
  return /^Mode: /m.test(await fourLetterWord(port, 'srvr'))
}

export async function startZookeeper(
  config: Config,
  progress: (line: string) => void
): Promise<{ pid: number; started: boolean }> {
  const paths = zookeeperPaths(config)
  const running = runningPid(paths.pid, paths.config)
  if (running !== null) return { pid: running, started: false }
  requireJava()
  mkdirSync(paths.data, { recursive: true })
  installMavenJars(
    {
      what: 'Apache ZooKeeper',
      pom: paths.pom,
      lib: paths.lib,
      alternative: 'point CLICKHOUSE_URL and CLICKHOUSE_CLUSTER at an existing ClickHouse cluster'
    },
    progress
  )
  const port = config.stack.zookeeperPort
  await assertPortsFree(
    [port],
    'ZooKeeper',
    'Stop that process, or choose another port with TICKBRIDGE_ZOOKEEPER_PORT.'
  )
  writeFileSync(
    paths.config,
    `# Written by tickbridge stack up --cluster; edits are overwritten.
tickTime=2000
dataDir=${paths.data}
clientPort=${port}
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr
autopurge.purgeInterval=1
`
  )
  progress(`Starting ZooKeeper ${zookeeperVersion(config)} on 127.0.0.1:${port}...`)
  return startServer(
    {
      command: 'java',
      args: [
        '-Xms64m',
        '-Xmx256m',
        '-Djava.awt.headless=true',
        '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
        '-Dzookeeper.jmx.log4j.disable=true',
        '-cp',
        `${paths.lib}/*`,
        'org.apache.zookeeper.server.ZooKeeperServerMain',
        paths.config
      ],
      cwd: paths.dir,
      logFile: paths.log,
      pidFile: paths.pid
    },
    () => zookeeperReady(port),
    {
      what: 'ZooKeeper',
      timeoutMs: config.stack.startTimeoutMs,
      onFailure: () => `Last lines of ${paths.log}:\n${tailFile(paths.log)}`
    }
  )
}

export function stopZookeeper(config: Config): Promise<number | null> {
  const paths = zookeeperPaths(config)
  return stopOwned(paths.pid, paths.config)
}

export function zookeeperPid(config: Config): number | null {
  const paths = zookeeperPaths(config)
  return runningPid(paths.pid, paths.config)
}
