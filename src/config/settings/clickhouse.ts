import type { SettingGroup } from './definition.ts'

/** The local ClickHouse cluster of `stack up --cluster` (TICKBRIDGE_CLUSTER): ZooKeeper and 2 shards × 2 replicas. */
export const clickhouseClusterSettings = {
  TICKBRIDGE_ZOOKEEPER_PORT: {
    section: 'stack',
    key: 'zookeeperPort',
    schema: { type: 'integer', minimum: 1, maximum: 65535, default: 2181 },
    description:
      "Client port of the local cluster's ZooKeeper (127.0.0.1), which ClickHouse 18.16 replicates through.",
    readBy: '`stack --cluster`'
  },
  TICKBRIDGE_CLUSTER_CLICKHOUSE_PORT: {
    section: 'stack',
    key: 'clusterClickhousePort',
    schema: { type: 'integer', minimum: 1, maximum: 63535, default: 8130 },
    description:
      'Base port of the 4 local cluster ClickHouse nodes: node n (1–4) serves HTTP on base+n, the native ' +
      'protocol on base+1000+n and replication (interserver HTTP) on base+1100+n.',
    readBy:
      '`stack --cluster`, and every ClickHouse user with `TICKBRIDGE_CLUSTER` when `CLICKHOUSE_URL` is unset'
  }
} as const satisfies SettingGroup
