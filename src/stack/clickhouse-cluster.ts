import { join } from 'node:path'
import { LOCAL_CLICKHOUSE_CLUSTER, LOCAL_CLICKHOUSE_NODES, localClusterHttpPort } from '../config/derived.ts'
import type { Config } from '../config/types.ts'
import { createClickHouse, serverVersion } from '../clickhouse/client.ts'
import {
  clickhousePaths,
  clickhouseReady,
  startClickHouseServer,
  type ClickHousePaths
} from './clickhouse-server.ts'
import { runningPid, stopOwned } from './processes.ts'
import type { ComponentStatus } from './stack.ts'
import { zookeeperPaths, zookeeperPid, zookeeperReady, zookeeperVersion } from './zookeeper.ts'

/**
 * The local ClickHouse cluster (`stack up --cluster`): 2 shards × 2 replicas, four clickhouse-server processes
 * on 127.0.0.1 with their own dirs under <home>/clickhouse-cluster/node-<n> and ports from
 * TICKBRIDGE_CLUSTER_CLICKHOUSE_PORT, replicating through the local ZooKeeper (zookeeper.ts). Nodes 1 and 2 are
 * shard 01, nodes 3 and 4 shard 02. The cluster is `tickbridge` in every node's remote_servers.
 */
export interface ClusterNode {
  /** 1..4 */
  node: number
  shard: string
  replica: string
  httpPort: number
  tcpPort: number
  interserverPort: number
  paths: ClickHousePaths
}

const REPLICAS_PER_SHARD = 2

export function clusterNodes(config: Config): ClusterNode[] {
  const base = config.stack.clusterClickhousePort
  return Array.from({ length: LOCAL_CLICKHOUSE_NODES }, (_, i) => {
    const node = i + 1
    return {
      node,
      shard: String(Math.floor(i / REPLICAS_PER_SHARD) + 1).padStart(2, '0'),
      replica: `r${(i % REPLICAS_PER_SHARD) + 1}`,
      httpPort: localClusterHttpPort(base, node),
      tcpPort: base + 1000 + node,
      interserverPort: base + 1100 + node,
      paths: clickhousePaths(config, join(config.stack.home, 'clickhouse-cluster', `node-${node}`))
    }
  })
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}

/** The config elements that make a server a node of the cluster (pure). */
export function clusterNodeXml(
  nodes: ClusterNode[],
  self: ClusterNode,
  zookeeperPort: number,
  credentials: { user: string; password: string }
): string {
  const login = credentials.password
    ? `<user>${escapeXml(credentials.user)}</user><password>${escapeXml(credentials.password)}</password>`
    : ''
  const shards = [...new Set(nodes.map((n) => n.shard))].map(
    (shard) =>
      `      <shard>
        <internal_replication>true</internal_replication>
${nodes
  .filter((n) => n.shard === shard)
  .map((n) => `        <replica><host>127.0.0.1</host><port>${n.tcpPort}</port>${login}</replica>`)
  .join('\n')}
      </shard>`
  )
  return `  <interserver_http_host>127.0.0.1</interserver_http_host>
  <interserver_http_port>${self.interserverPort}</interserver_http_port>
  <remote_servers>
    <${LOCAL_CLICKHOUSE_CLUSTER}>
${shards.join('\n')}
    </${LOCAL_CLICKHOUSE_CLUSTER}>
  </remote_servers>
  <zookeeper>
    <node><host>127.0.0.1</host><port>${zookeeperPort}</port></node>
    <session_timeout_ms>10000</session_timeout_ms>
  </zookeeper>
  <macros>
    <shard>${self.shard}</shard>
    <replica>${self.replica}</replica>
  </macros>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
`
}

/** Starts the four nodes at once (ZooKeeper must be up); a node already running is left as it is. */
export function startClickHouseCluster(
  config: Config,
  progress: (line: string) => void
): Promise<{ node: ClusterNode; pid: number; started: boolean }[]> {
  const nodes = clusterNodes(config)
  return Promise.all(
    nodes.map(async (node) => {
      const result = await startClickHouseServer(
        config,
        {
          paths: node.paths,
          httpPort: node.httpPort,
          tcpPort: node.tcpPort,
          otherPorts: [node.interserverPort],
          extraXml: clusterNodeXml(nodes, node, config.stack.zookeeperPort, config.clickhouse)
        },
        progress,
        {
          what: `ClickHouse node ${node.node} (shard ${node.shard}, replica ${node.replica})`,
          portsHint: 'Stop that process, or choose another base port with TICKBRIDGE_CLUSTER_CLICKHOUSE_PORT.'
        }
      )
      return { node, ...result }
    })
  )
}

export function clusterNodePid(node: ClusterNode): number | null {
  return runningPid(node.paths.pid, node.paths.config)
}

/** Stops the nodes that run; returns them. */
export async function stopClickHouseCluster(config: Config): Promise<{ node: ClusterNode; pid: number }[]> {
  const stopped = await Promise.all(
    clusterNodes(config).map(async (node) => {
      const pid = await stopOwned(node.paths.pid, node.paths.config)
      return pid === null ? null : { node, pid }
    })
  )
  return stopped.filter((s) => s !== null)
}

/** `stack status` of ZooKeeper and every node (health: the node answers /ping). */
export async function clickhouseClusterStatus(config: Config): Promise<ComponentStatus[]> {
  const zk = zookeeperPaths(config)
  const [zkHealthy, ...nodes] = await Promise.all([
    zookeeperReady(config.stack.zookeeperPort),
    ...clusterNodes(config).map(async (node) => {
      const url = `http://127.0.0.1:${node.httpPort}`
      const healthy = await clickhouseReady(url)
      return { node, url, healthy, version: healthy ? await versionOf(config, url) : 'unknown' }
    })
  ])
  return [
    {
      name: 'zookeeper',
      mode: 'local',
      endpoint: `127.0.0.1:${config.stack.zookeeperPort}`,
      pid: zookeeperPid(config),
      healthy: zkHealthy,
      version: zookeeperVersion(config),
      log: zk.log
    },
    ...nodes.map(({ node, url, healthy, version }): ComponentStatus => ({
      name: `clickhouse-${node.node}`,
      mode: 'local',
      endpoint: `${url} (shard ${node.shard}, replica ${node.replica})`,
      pid: clusterNodePid(node),
      healthy,
      version,
      log: node.paths.errorLog
    }))
  ]
}

async function versionOf(config: Config, url: string): Promise<string> {
  const client = createClickHouse({ ...config.clickhouse, url, urls: [url] })
  try {
    return await serverVersion(client)
  } catch {
    return 'unknown'
  } finally {
    await client.close()
  }
}

/** `stack logs clickhouse` on the cluster: ZooKeeper's log, then each node's error log and log. */
export function clickhouseClusterLogFiles(config: Config): string[] {
  return [
    zookeeperPaths(config).log,
    ...clusterNodes(config).flatMap((node) => [node.paths.errorLog, node.paths.log])
  ]
}
