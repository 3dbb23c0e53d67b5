import type { TestContext } from 'node:test'
import { createClickHouse, type ClickHouseClient } from '../../src/clickhouse/client.ts'
import { clusterNodes, type ClusterNode } from '../../src/stack/clickhouse-cluster.ts'
import { isAlive, readPid } from '../../src/stack/processes.ts'
import { testEnv, type TestEnv } from './stack.ts'

/**
 * Cluster tests (`npm run test:cluster`, after `stack up --cluster`): a test env on the local cluster
 * (TICKBRIDGE_CLUSTER), and one client per ClickHouse node, to look at what each replica holds.
 */
export function clusterTestEnv(t: TestContext, overrides: Record<string, string> = {}): Promise<TestEnv> {
  return testEnv(t, { TICKBRIDGE_CLUSTER: 'true', ...overrides })
}

export interface NodeClient {
  node: ClusterNode
  url: string
  client: ClickHouseClient
}

export function nodeClients(t: TestContext, env: TestEnv): NodeClient[] {
  const clients = clusterNodes(env.config).map((node) => {
    const url = `http://127.0.0.1:${node.httpPort}`
    return {
      node,
      url,
      client: createClickHouse({ ...env.config.clickhouse, url, urls: [url], cluster: '' })
    }
  })
  t.after(() => Promise.all(clients.map((c) => c.client.close())))
  return clients
}

/** kill -9 of one node's clickhouse-server (what a crashed or unplugged replica looks like). */
export function killNode(node: ClusterNode): number {
  const pid = readPid(node.paths.pid)
  if (pid === null || !isAlive(pid)) throw new Error(`ClickHouse node ${node.node} is not running`)
  process.kill(pid, 'SIGKILL')
  return pid
}
