import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { printError } from '../src/cli/output.ts'
import { createClickHouse, type ClickHouseClient } from '../src/clickhouse/client.ts'
import { onCluster } from '../src/clickhouse/cluster-ddl.ts'
import { WORKER_NODE_FLAGS } from '../src/node-flags.ts'
import { cliEntry, loadConfig, type Config } from '../src/config/load.ts'
import { createAdmin } from '../src/kafka/clients.ts'
import { ensureTopics } from '../src/kafka/topics.ts'
import { startClickHouse, stopClickHouse } from '../src/stack/clickhouse-server.ts'
import { stackUp } from '../src/stack/stack.ts'
import { peakRssMb } from './cpu.ts'

/** What every benchmark needs: its own topics, group and database on the stack, bridge processes, cleanup. */
export interface Bench {
  vars: Record<string, string>
  config: Config
  clickhouse: ClickHouseClient
  /** Starts n bridge processes (ordinals 1..n); `env` overrides the benchmark's variables (e.g. per run). */
  startBridges(n: number, profileDir?: string, env?: Record<string, string>): ChildProcess[]
  /** SIGTERM to every running bridge, then waits for them to exit (they drain and commit). */
  stopBridges(): Promise<void>
  peakRssMb(pid: number | undefined): number
  /** Also dropped / deleted by cleanup (unless kept): databases and consumer groups a benchmark added. */
  extraDatabases: string[]
  extraGroups: string[]
  cleanup(keep: boolean): Promise<void>
}

export const say = (line: string): void => {
  process.stderr.write(`${line}\n`)
}

export async function setUpBench(name: string): Promise<Bench> {
  const id = randomBytes(3).toString('hex')
  const vars: Record<string, string> = {
    TOPIC_TRADES: `${name}${id}.trades`,
    TOPIC_DEPTH: `${name}${id}.depth`,
    TOPIC_QUOTES: `${name}${id}.quotes`,
    TOPIC_CANDLES: `${name}${id}.candles`,
    TOPIC_DLQ: `${name}${id}.dlq`,
    BRIDGE_GROUP_ID: `tb-${name}-${id}`,
    CLICKHOUSE_DATABASE: `tb_${name}_${id}`,
    LOG_PRETTY: 'false',
    // No heartbeats: a hub on the default port (someone's `tickbridge start`) would count the benchmark's
    // bridges in its cluster and could hold them. bench:pipeline sets its own hub.
    HUB_URL: '',
    STATS_INTERVAL_MS: process.env.STATS_INTERVAL_MS ?? '0'
  }
  let config: Config
  try {
    config = loadConfig({ ...process.env, ...vars })
    await stackUp(config, say)
  } catch (error) {
    // Nothing is started yet: say what is wrong and what to do, as the CLI does, not a stack trace.
    printError(error)
    process.exit(1)
  }
  const admin = createAdmin(config.kafka)
  const topics = [
    config.topics.trades,
    config.topics.depth,
    config.topics.quotes,
    config.topics.candles,
    config.topics.dlq
  ]
  await ensureTopics(admin, topics, config.topics.partitions)
  const clickhouse = createClickHouse(config.clickhouse)
  let bridges: ChildProcess[] = []
  const stopBridges = async () => {
    const running = bridges.filter((b) => b.exitCode === null && b.signalCode === null)
    for (const b of running) b.kill('SIGTERM')
    await Promise.all(
      running.map(
        (b) =>
          new Promise((resolve) =>
            b.exitCode === null && b.signalCode === null ? b.once('exit', resolve) : resolve(null)
          )
      )
    )
    bridges = []
  }
  const extraDatabases: string[] = []
  const extraGroups: string[] = []
  return {
    vars,
    config,
    clickhouse,
    extraDatabases,
    extraGroups,
    stopBridges,
    startBridges(n, profileDir, env = {}) {
      const started: ChildProcess[] = []
      for (let ordinal = 1; ordinal <= n; ordinal++) {
        const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []
        started.push(
          spawn(process.execPath, [...WORKER_NODE_FLAGS, ...profile, cliEntry, 'bridge'], {
            env: {
              ...process.env,
              ...vars,
              INSTANCE_ORDINAL: String(ordinal),
              INSTANCE_ID: `${name}-${ordinal}`,
              ...env
            },
            stdio: ['ignore', process.env.STATS_INTERVAL_MS ? 'inherit' : 'ignore', 'inherit']
          })
        )
      }
      bridges.push(...started)
      return started
    },
    peakRssMb,
    async cleanup(keep) {
      await stopBridges()
      if (!keep) {
        for (const db of [config.clickhouse.database, ...extraDatabases])
          await clickhouse
            .command({ query: `DROP DATABASE IF EXISTS ${db}${onCluster(config.clickhouse.cluster)}` })
            .catch(() => undefined)
        await admin.deleteTopics({ topics }).catch(() => undefined)
        await admin.deleteGroups({ groups: [config.bridge.groupId, ...extraGroups] }).catch(() => undefined)
      }
      await clickhouse.close()
      await admin.close()
    }
  }
}

export async function countRows(clickhouse: ClickHouseClient, query: string): Promise<number> {
  const rows = await clickhouse
    .query({ query, format: 'JSONEachRow' })
    .then((r) => r.json<{ n: string }>())
    .catch(() => [{ n: '0' }])
  return Number(rows[0]?.n ?? 0)
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A ClickHouse server of the benchmark's own: same binary as the stack, its own home and ports. */
export interface PrivateClickHouse {
  url: string
  home: string
  pid: number
  stop(options?: { keepHome?: boolean }): Promise<void>
}

/**
 * Starts a throwaway ClickHouse server (the stack's binary and config template, a temporary home, free
 * ports), for work that must not touch the shared one. stop() stops it and removes its home (unless
 * asked to keep it, e.g. for its logs); it is safe to call twice.
 */
export async function startPrivateClickHouse(name: string): Promise<PrivateClickHouse> {
  const home = mkdtempSync(join(tmpdir(), `tickbridge-${name}-ch-`))
  const env = {
    ...process.env,
    TICKBRIDGE_HOME: home,
    CLICKHOUSE_URL: '',
    TICKBRIDGE_CLICKHOUSE_HTTP_PORT: String(await freePort()),
    TICKBRIDGE_CLICKHOUSE_TCP_PORT: String(await freePort())
  }
  const config = loadConfig(env)
  let stopped = false
  const stop = async (options: { keepHome?: boolean } = {}) => {
    if (stopped) return
    stopped = true
    await stopClickHouse(config).catch(() => undefined)
    if (!options.keepHome) rmSync(home, { recursive: true, force: true })
  }
  try {
    const { pid } = await startClickHouse(config, say)
    return { url: config.clickhouse.url, home, pid, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
