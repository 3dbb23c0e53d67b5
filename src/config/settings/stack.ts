import type { SettingGroup } from './definition.ts'

/** The local stack (`tickbridge stack up`): used only when the corresponding server is local. */
export const localStackSettings = {
  TICKBRIDGE_HOME: {
    section: 'stack',
    key: 'home',
    schema: { type: 'string', default: '' },
    shownDefault: '`<project>/.tickbridge`',
    description:
      "Directory for the stack's jars, data, config, logs and pid files, and for the logs of processes " +
      'started by `start` / `scale`.',
    readBy: '`stack`, `start`, `scale`, `kafka`'
  },
  TICKBRIDGE_KAFKA_PORT: {
    section: 'stack',
    key: 'kafkaPort',
    schema: { type: 'integer', minimum: 1, maximum: 65535, default: 9092 },
    description: 'Local broker port; also the default for `KAFKA_BROKERS`.',
    readBy: '`stack`, and every Kafka user when `KAFKA_BROKERS` is unset'
  },
  TICKBRIDGE_KAFKA_CONTROLLER_PORT: {
    section: 'stack',
    key: 'kafkaControllerPort',
    schema: { type: 'integer', minimum: 1, maximum: 65535, default: 9093 },
    description: 'Local KRaft controller port.',
    readBy: '`stack`'
  },
  TICKBRIDGE_KAFKA_SASL_PORT: {
    section: 'stack',
    key: 'kafkaSaslPort',
    schema: { type: 'integer', minimum: 0, maximum: 65535, default: 9094 },
    description:
      "Local broker's SASL_SSL listener (SCRAM-SHA-512 user `tickbridge`, certificates made at stack-up; " +
      'see [kafka-cluster.md](kafka-cluster.md#the-local-sasl_ssl-listener)). `0`: no such listener.',
    readBy: '`stack`'
  },
  TICKBRIDGE_KAFKA_CLUSTER_PORT: {
    section: 'stack',
    key: 'kafkaClusterPort',
    schema: { type: 'integer', minimum: 1, maximum: 65335, default: 9192 },
    description:
      'First broker port of the local Kafka *cluster* (`stack up --cluster`): its 3 brokers listen on this ' +
      'port and the next two, their KRaft controllers 100 above (9292-9294).',
    readBy: '`stack`, and every Kafka user when `TICKBRIDGE_CLUSTER` is on and `KAFKA_BROKERS` is unset'
  },
  TICKBRIDGE_KAFKA_HEAP: {
    section: 'stack',
    key: 'kafkaHeap',
    schema: { type: 'string', pattern: '^[0-9]+[mMgG]$', default: '768m' },
    description: 'JVM heap of the local broker (`-Xms`/`-Xmx`).',
    readBy: '`stack`'
  },
  TICKBRIDGE_CLICKHOUSE_HTTP_PORT: {
    section: 'stack',
    key: 'clickhouseHttpPort',
    schema: { type: 'integer', minimum: 1, maximum: 65535, default: 8123 },
    description: 'Local ClickHouse HTTP port; also the default for `CLICKHOUSE_URL`.',
    readBy: '`stack`, and every ClickHouse user when `CLICKHOUSE_URL` is unset'
  },
  TICKBRIDGE_CLICKHOUSE_TCP_PORT: {
    section: 'stack',
    key: 'clickhouseTcpPort',
    schema: { type: 'integer', minimum: 1, maximum: 65535, default: 9000 },
    description: 'Local ClickHouse native-protocol port (for `clickhouse-client`).',
    readBy: '`stack`'
  },
  TICKBRIDGE_START_TIMEOUT_MS: {
    section: 'stack',
    key: 'startTimeoutMs',
    schema: { type: 'integer', minimum: 1000, default: 90000 },
    description:
      'How long `stack up` waits for each server to accept requests before failing with `TB_START_FAILED`.',
    readBy: '`stack`, `start`'
  },
  TICKBRIDGE_CLUSTER: {
    section: 'stack',
    key: 'cluster',
    schema: { type: 'boolean', default: false },
    description:
      'Use the local *cluster* stack (`stack up --cluster`: 3 Kafka brokers, ClickHouse 2 shards × 2 replicas ' +
      'with ZooKeeper) instead of the single-node one, wherever `KAFKA_BROKERS` / `CLICKHOUSE_URL` are unset. ' +
      'The `--cluster` flag of `stack` and `start` sets it. See [clusters.md](clusters.md).',
    readBy: '`stack`, `start`, and every command when `KAFKA_BROKERS` / `CLICKHOUSE_URL` are unset'
  }
} as const satisfies SettingGroup
