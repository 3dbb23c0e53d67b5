import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadConfig } from '../../src/config/load.ts'
import { clusterNodes, clusterNodeXml } from '../../src/stack/clickhouse-cluster.ts'

const config = loadConfig(
  { TICKBRIDGE_HOME: '/srv/tb', TICKBRIDGE_CLUSTER: 'true', TICKBRIDGE_CLUSTER_CLICKHOUSE_PORT: '8130' },
  '/nonexistent/.env'
)

test('the local cluster: 4 nodes, 2 shards of 2 replicas, own dirs and ports; the URLs the config derives', () => {
  const nodes = clusterNodes(config)
  assert.deepEqual(
    nodes.map((n) => [n.node, n.shard, n.replica, n.httpPort, n.tcpPort, n.interserverPort, n.paths.dir]),
    [
      [1, '01', 'r1', 8131, 9131, 9231, '/srv/tb/clickhouse-cluster/node-1'],
      [2, '01', 'r2', 8132, 9132, 9232, '/srv/tb/clickhouse-cluster/node-2'],
      [3, '02', 'r1', 8133, 9133, 9233, '/srv/tb/clickhouse-cluster/node-3'],
      [4, '02', 'r2', 8134, 9134, 9234, '/srv/tb/clickhouse-cluster/node-4']
    ]
  )
  assert.deepEqual(
    config.clickhouse.urls,
    nodes.map((n) => `http://127.0.0.1:${n.httpPort}`)
  )
})

test("a node's config: the cluster in remote_servers, ZooKeeper, its macros; a password only when set", () => {
  const nodes = clusterNodes(config)
  const xml = clusterNodeXml(nodes, nodes[2]!, 2181, { user: 'default', password: '' })
  assert.match(xml, /<interserver_http_port>9233<\/interserver_http_port>/)
  assert.equal(xml.match(/<shard>\s*<internal_replication>true<\/internal_replication>/g)?.length, 2)
  assert.match(xml, /<replica><host>127\.0\.0\.1<\/host><port>9131<\/port><\/replica>/)
  assert.match(xml, /<node><host>127\.0\.0\.1<\/host><port>2181<\/port><\/node>/)
  assert.match(xml, /<macros>\s*<shard>02<\/shard>\s*<replica>r1<\/replica>\s*<\/macros>/)
  assert.match(xml, /<tickbridge>[\s\S]*<\/tickbridge>/)
  const secured = clusterNodeXml(nodes, nodes[0]!, 2181, { user: 'default', password: 'a<b&c' })
  assert.match(secured, /<user>default<\/user><password>a&lt;b&amp;c<\/password>/)
})
