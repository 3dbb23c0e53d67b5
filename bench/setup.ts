import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createClickHouse, type ClickHouseClient } from '../src/clickhouse/client.ts'
import { cliEntry, loadConfig, type Config } from '../src/config/load.ts'
import { createAdmin } from '../src/kafka/clients.ts'
import { ensureTopics } from '../src/kafka/topics.ts'
import { stackUp } from '../src/stack/stack.ts'

/** What every benchmark needs: its own topics, group and database on the stack, bridge processes, cleanup. */
export interface Bench {
  vars: Record<string, string>
  config: Config
  clickhouse: ClickHouseClient
  startBridges(n: number, profileDir?: string): ChildProcess[]
  peakRssMb(pid: number | undefined): number
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
    STATS_INTERVAL_MS: process.env.STATS_INTERVAL_MS ?? '0'
  }
  const config = loadConfig({ ...process.env, ...vars })
  await stackUp(config, say)
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
  const bridges: ChildProcess[] = []
  return {
    vars,
    config,
    clickhouse,
    startBridges(n, profileDir) {
      for (let ordinal = 1; ordinal <= n; ordinal++) {
        const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []
        bridges.push(
          spawn(process.execPath, [...profile, cliEntry, 'bridge'], {
            env: {
              ...process.env,
              ...vars,
              INSTANCE_ORDINAL: String(ordinal),
              INSTANCE_ID: `${name}-${ordinal}`
            },
            stdio: ['ignore', process.env.STATS_INTERVAL_MS ? 'inherit' : 'ignore', 'inherit']
          })
        )
      }
      return bridges
    },
    peakRssMb(pid) {
      try {
        const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
        return match ? Math.round(Number(match[1]) / 1024) : NaN
      } catch {
        return NaN
      }
    },
    async cleanup(keep) {
      for (const b of bridges) b.kill('SIGTERM')
      await Promise.all(
        bridges.map(
          (b) => new Promise((resolve) => (b.exitCode === null ? b.once('exit', resolve) : resolve(null)))
        )
      )
      if (!keep) {
        await clickhouse
          .command({ query: `DROP DATABASE IF EXISTS ${config.clickhouse.database}` })
          .catch(() => undefined)
        await admin.deleteTopics({ topics }).catch(() => undefined)
        await admin.deleteGroups({ groups: [config.bridge.groupId] }).catch(() => undefined)
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
