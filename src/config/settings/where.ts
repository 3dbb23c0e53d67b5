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
      "ClickHouse HTTP(S) endpoint, e.g. `https://clickhouse.internal:8443`. Empty: the local stack's server. " +
      'Set: ClickHouse is external and never started.',
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
  }
} as const satisfies SettingGroup
