import type { SettingGroup } from './definition.ts'

/** Where things run. Unset KAFKA_BROKERS / CLICKHOUSE_URL mean "the local stack". */
export const whereSettings = {
  KAFKA_BROKERS: {
    section: 'kafka',
    key: 'brokers',
    schema: { type: 'string', default: '' },
    description:
      "Comma-separated bootstrap brokers, e.g. `kafka-1:9092,kafka-2:9092`. Empty: the local stack's broker, " +
      'and `stack up` starts it. Set: Kafka is external and never started.',
    readBy: 'all Kafka users: `bridge`, `sim`, `topics`, `start`, `scale`, `kafka`, `stack`'
  },
  CLICKHOUSE_URL: {
    section: 'clickhouse',
    key: 'url',
    schema: { type: 'string', default: '' },
    description:
      'ClickHouse HTTP(S) endpoint, e.g. `https://clickhouse.internal:8443`, or a comma-separated list of the ' +
      'nodes of one cluster (`http://ch-1:8123,http://ch-2:8123`): each client uses one node and moves to the next ' +
      'when it stops answering; a dead node is tried again after `CLICKHOUSE_ENDPOINT_RETRY_MS`. Empty: the local ' +
      "stack's server (the 4 nodes of the local cluster with `TICKBRIDGE_CLUSTER`). Set: ClickHouse is external " +
      'and never started.',
    readBy: '`bridge`, `migrate`, `start`, `stack`'
  },
  CLICKHOUSE_USER: {
    section: 'clickhouse',
    key: 'user',
    schema: { type: 'string', default: 'default' },
    description: 'ClickHouse user. The local server only has `default`.',
    readBy: '`bridge`, `migrate`, `start`, `stack status`'
  },
  CLICKHOUSE_PASSWORD: {
    section: 'clickhouse',
    key: 'password',
    schema: { type: 'string', default: '' },
    description:
      'Password for that user. For the local server, `stack up` also writes its SHA-256 into `users.xml` when ' +
      'it starts the server (see [local-stack.md](local-stack.md#setting-a-password)).',
    readBy: '`bridge`, `migrate`, `start`, `stack`'
  },
  CLICKHOUSE_DATABASE: {
    section: 'clickhouse',
    key: 'database',
    schema: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', default: 'market' },
    description: 'Database holding the tables; created by migrations if missing.',
    readBy: '`bridge`, `migrate`, `start`'
  },
  CLICKHOUSE_CLUSTER: {
    section: 'clickhouse',
    key: 'cluster',
    schema: { type: 'string', pattern: '^([A-Za-z_][A-Za-z0-9_-]*)?$', default: '' },
    shownDefault: '(none; `tickbridge` with `TICKBRIDGE_CLUSTER` and no `CLICKHOUSE_URL`)',
    description:
      "Name of a cluster in the servers' `remote_servers`: migrations run `ON CLUSTER`, the market tables become " +
      '`Replicated…MergeTree` `<table>_local` tables sharded by `cityHash64(exchange, symbol)` behind `Distributed` ' +
      'tables of the usual names, and inserts wait until their shard has them (see [clusters.md](clusters.md)). ' +
      'Empty: one server, plain `ReplacingMergeTree` tables.',
    readBy: '`bridge`, `migrate`, `start`, `reset`, `validate`'
  },
  CLICKHOUSE_CA_FILE: {
    section: 'clickhouse',
    key: 'caFile',
    schema: { type: 'string', default: '' },
    description:
      'PEM file of the certificate authority that signed the server certificate, for an `https://` ' +
      '`CLICKHOUSE_URL` with a private CA. Empty: the system CAs.',
    readBy: 'every ClickHouse user'
  },
  CLICKHOUSE_ENDPOINT_RETRY_MS: {
    section: 'clickhouse',
    key: 'endpointRetryMs',
    schema: { type: 'integer', minimum: 100, default: 10000 },
    description:
      'With several `CLICKHOUSE_URL` nodes: how long a node that refused or dropped a connection is skipped ' +
      'before it is tried again.',
    readBy: 'every ClickHouse user'
  }
} as const satisfies SettingGroup
