import { rmSync } from 'node:fs'
import { createClickHouse, serverVersion } from '../clickhouse/client.ts'
import { displayUrl } from '../core/url-credentials.ts'
import type { Config } from '../config/types.ts'
import {
  clickhouseClusterLogFiles,
  clickhouseClusterStatus,
  startClickHouseCluster,
  stopClickHouseCluster
} from './clickhouse-cluster.ts'
import { clickhousePaths, clickhouseReady, startClickHouse, stopClickHouse } from './clickhouse-server.ts'
import {
  kafkaClusterNodes,
  kafkaClusterStatus,
  startKafkaCluster,
  stopKafkaCluster
} from './kafka-cluster.ts'
import { kafkaPaths, kafkaReady, kafkaVersion, startKafka, stopKafka } from './kafka-server.ts'
import { localNatsPid, natsPaths, probeNats, startNats, stopNats } from './nats-server.ts'
import { runningPid } from './processes.ts'
import { journalLessWarning } from './filesystem.ts'
import { startZookeeper, stopZookeeper } from './zookeeper.ts'
import { displayNatsUrl } from '../nats/jetstream.ts'

/** `tickbridge stack up | down | status`: the local single-node Kafka + ClickHouse + NATS, or the external ones. */
export interface ComponentStatus {
  name: 'kafka' | 'clickhouse' | 'nats' | 'zookeeper' | `clickhouse-${number}` | `kafka-${number}`
  mode: 'local' | 'external'
  endpoint: string
  pid: number | null
  healthy: boolean
  version: string
  log: string | null
}

export async function stackUp(config: Config, progress: (line: string) => void): Promise<ComponentStatus[]> {
  // Start them at once: Kafka's JVM and ClickHouse warm up in parallel.
  await Promise.all([
    config.kafka.external
      ? Promise.resolve()
      : config.stack.cluster
        ? startKafkaCluster(config, progress).then((rs) =>
            rs.forEach((r, i) => report(progress, `Kafka node ${i + 1}`, r))
          )
        : startKafka(config, progress).then((r) => report(progress, 'Kafka', r)),
    config.clickhouse.external
      ? Promise.resolve()
      : config.stack.cluster
        ? startLocalClickHouseCluster(config, progress)
        : startClickHouse(config, progress).then((r) => report(progress, 'ClickHouse', r)),
    config.nats.external
      ? Promise.resolve()
      : startNats(config, progress).then((r) => {
          if (r.pid !== null) report(progress, 'NATS', { pid: r.pid, started: r.started })
        })
  ])
  const warning = config.clickhouse.external ? null : journalLessWarning(clickhousePaths(config).data)
  if (warning) progress(`note: ${warning}`)
  return stackStatus(config)
}

/** ZooKeeper first: the four nodes need it to start their replicated tables. */
async function startLocalClickHouseCluster(config: Config, progress: (line: string) => void): Promise<void> {
  report(progress, 'ZooKeeper', await startZookeeper(config, progress))
  for (const { node, ...result } of await startClickHouseCluster(config, progress))
    report(progress, `ClickHouse node ${node.node}`, result)
}

function report(
  progress: (line: string) => void,
  name: string,
  result: { pid: number; started: boolean }
): void {
  progress(
    result.started ? `${name} started (pid ${result.pid})` : `${name} already running (pid ${result.pid})`
  )
}

/**
 * Stops everything `stack up` started under this home — the single node and the cluster alike, whichever
 * TICKBRIDGE_CLUSTER says — and only that (servers named by their pid files; external ones are left alone).
 */
export async function stackDown(config: Config, options: { purge?: boolean } = {}): Promise<string[]> {
  const kafkaLocal = !config.kafka.external
  const clickhouseLocal = !config.clickhouse.external
  const [kafkaPid, clickhousePid, natsPid, kafkaNodes, clickhouseNodes] = await Promise.all([
    kafkaLocal ? stopKafka(config) : null,
    clickhouseLocal ? stopClickHouse(config) : null,
    config.nats.external ? null : stopNats(config),
    kafkaLocal ? stopKafkaCluster(config) : [],
    clickhouseLocal ? stopClickHouseCluster(config) : []
  ])
  // ZooKeeper last: the cluster's ClickHouse nodes use it until they stop.
  const zookeeperPid = clickhouseLocal ? await stopZookeeper(config) : null
  const stopped: string[] = []
  if (kafkaPid !== null) stopped.push(`kafka (pid ${kafkaPid})`)
  stopped.push(...kafkaNodes)
  if (clickhousePid !== null) stopped.push(`clickhouse (pid ${clickhousePid})`)
  if (natsPid !== null) stopped.push(`nats (pid ${natsPid})`)
  for (const { node, pid } of clickhouseNodes) stopped.push(`clickhouse node ${node.node} (pid ${pid})`)
  if (zookeeperPid !== null) stopped.push(`zookeeper (pid ${zookeeperPid})`)
  if (options.purge) rmSync(config.stack.home, { recursive: true, force: true })
  return stopped
}

export async function stackStatus(config: Config): Promise<ComponentStatus[]> {
  const kafka = kafkaPaths(config)
  const clickhouse = clickhousePaths(config)
  const [kafkaHealthy, clickhouseHealthy, nats] = await Promise.all([
    kafkaReady(config),
    clickhouseReady(config.clickhouse.url),
    probeNats(config.nats.url)
  ])
  const natsPid = config.nats.external ? null : localNatsPid(config)
  let chVersion = 'unknown'
  if (clickhouseHealthy) {
    const client = createClickHouse(config.clickhouse)
    chVersion = await serverVersion(client).catch(() => 'unknown')
    await client.close()
  }
  const clickhouseStatus: ComponentStatus[] =
    config.stack.cluster && !config.clickhouse.external
      ? await clickhouseClusterStatus(config)
      : [
          {
            name: 'clickhouse',
            mode: config.clickhouse.external ? 'external' : 'local',
            endpoint: config.clickhouse.urls.map(displayUrl).join(','),
            pid: config.clickhouse.external ? null : runningPid(clickhouse.pid, clickhouse.config),
            healthy: clickhouseHealthy,
            version: chVersion,
            log: config.clickhouse.external ? null : clickhouse.log
          }
        ]
  return [
    ...(config.stack.cluster && !config.kafka.external
      ? await kafkaClusterStatus(config)
      : [
          {
            name: 'kafka' as const,
            mode: config.kafka.external ? ('external' as const) : ('local' as const),
            endpoint: config.kafka.brokers.join(','),
            pid: config.kafka.external ? null : runningPid(kafka.pid, kafka.properties),
            healthy: kafkaHealthy,
            version: config.kafka.external ? 'unknown' : kafkaVersion(kafka),
            log: config.kafka.external ? null : kafka.log
          }
        ]),
    ...clickhouseStatus,
    {
      name: 'nats',
      // A server already listening on the local port, not started by the stack, is external to it.
      mode: config.nats.external || (natsPid === null && nats.nats) ? 'external' : 'local',
      endpoint: displayNatsUrl(config.nats.url),
      pid: natsPid,
      healthy: nats.jetstream,
      version: nats.version,
      log: natsPid === null ? null : natsPaths(config).log
    }
  ]
}

export function stackLogFiles(config: Config): Record<'kafka' | 'clickhouse' | 'nats', string[]> {
  const clickhouse = clickhousePaths(config)
  return {
    kafka: config.stack.cluster
      ? kafkaClusterNodes(config).map((node) => node.log)
      : [kafkaPaths(config).log],
    clickhouse: config.stack.cluster
      ? clickhouseClusterLogFiles(config)
      : [clickhouse.errorLog, clickhouse.log, clickhouse.stdout],
    nats: [natsPaths(config).log]
  }
}
