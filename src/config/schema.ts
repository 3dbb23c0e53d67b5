/**
 * Every environment variable tickbridge reads, with its type and default.
 * docs/configuration.md documents the same list; keep them together.
 */
export const envSchema = {
  type: 'object',
  properties: {
    // Where things run. Unset KAFKA_BROKERS / CLICKHOUSE_URL means "the local stack".
    KAFKA_BROKERS: { type: 'string', default: '' },
    CLICKHOUSE_URL: { type: 'string', default: '' },
    CLICKHOUSE_USER: { type: 'string', default: 'default' },
    CLICKHOUSE_PASSWORD: { type: 'string', default: '' },
    CLICKHOUSE_DATABASE: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', default: 'market' },

    // The local stack (`tickbridge stack up`).
    TICKBRIDGE_HOME: { type: 'string', default: '' },
    TICKBRIDGE_KAFKA_PORT: { type: 'integer', minimum: 1, maximum: 65535, default: 9092 },
    TICKBRIDGE_KAFKA_CONTROLLER_PORT: { type: 'integer', minimum: 1, maximum: 65535, default: 9093 },
    TICKBRIDGE_KAFKA_HEAP: { type: 'string', pattern: '^[0-9]+[mMgG]$', default: '768m' },
    TICKBRIDGE_CLICKHOUSE_HTTP_PORT: { type: 'integer', minimum: 1, maximum: 65535, default: 8123 },
    TICKBRIDGE_CLICKHOUSE_TCP_PORT: { type: 'integer', minimum: 1, maximum: 65535, default: 9000 },
    TICKBRIDGE_START_TIMEOUT_MS: { type: 'integer', minimum: 1000, default: 90000 },

    // Topics.
    TOPIC_TRADES: { type: 'string', minLength: 1, default: 'market.trades' },
    TOPIC_DEPTH: { type: 'string', minLength: 1, default: 'market.depth' },
    TOPIC_QUOTES: { type: 'string', minLength: 1, default: 'market.quotes' },
    TOPIC_CANDLES: { type: 'string', minLength: 1, default: 'market.candles' },
    TOPIC_DLQ: { type: 'string', minLength: 1, default: 'market.dlq' },
    TOPIC_PARTITIONS: { type: 'integer', minimum: 1, maximum: 1000, default: 6 },

    // The bridge.
    BRIDGE_GROUP_ID: { type: 'string', minLength: 1, default: 'tickbridge-bridge' },
    INSTANCE_ID: { type: 'string', default: '' },
    INSTANCE_ORDINAL: { type: 'integer', minimum: 0 },
    BATCH_MAX_ROWS: { type: 'integer', minimum: 1, default: 20000 },
    BATCH_MAX_AGE_MS: { type: 'integer', minimum: 1, default: 50 },
    BUFFER_MAX_MESSAGES: { type: 'integer', minimum: 100, default: 50000 },
    BUFFER_HIGH_WATERMARK: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.8 },
    BUFFER_LOW_WATERMARK: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.4 },
    KAFKA_SESSION_TIMEOUT_MS: { type: 'integer', minimum: 1000, default: 6000 },
    KAFKA_HEARTBEAT_INTERVAL_MS: { type: 'integer', minimum: 100, default: 1000 },
    INSERT_RETRY_MAX_DELAY_MS: { type: 'integer', minimum: 10, default: 5000 },
    STATS_INTERVAL_MS: { type: 'integer', minimum: 0, default: 10000 },
    CANDLES_FROM_TRADES: { type: 'boolean', default: true },
    CANDLE_REFRESH_INTERVAL_MS: { type: 'integer', minimum: 0, default: 1000 },
    RETENTION_DAYS: { type: 'integer', minimum: 1, default: 90 },

    // Feeds.
    POLYGON_API_KEY: { type: 'string', default: '' },
    FEED_MEMORY_QUEUE_MAX: { type: 'integer', minimum: 1000, default: 100000 },
    FEED_SPOOL_DIR: { type: 'string', default: '' },
    FEED_SPOOL_MAX_BYTES: { type: 'integer', minimum: 1048576, default: 2147483648 },

    // The hub, heartbeats and each process's metrics port.
    HUB_URL: { type: 'string', default: 'http://127.0.0.1:8700' },
    HUB_HOST: { type: 'string', default: '127.0.0.1' },
    HUB_PORT: { type: 'integer', minimum: 1, maximum: 65535, default: 8700 },
    HUB_TOKEN: { type: 'string', default: '' },
    HUB_DEAD_AFTER_MS: { type: 'integer', minimum: 500, default: 5000 },
    HUB_HISTORY_MINUTES: { type: 'integer', minimum: 1, maximum: 1440, default: 15 },
    HUB_INSERT_LATENCY_LIMIT_MS: { type: 'integer', minimum: 1, default: 2000 },
    HEARTBEAT_INTERVAL_MS: { type: 'integer', minimum: 100, default: 1000 },
    METRICS_PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 0 },
    METRICS_HOST: { type: 'string', default: '127.0.0.1' },

    // Logs.
    LOG_LEVEL: {
      type: 'string',
      enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
      default: 'info'
    },
    LOG_PRETTY: { type: 'string', enum: ['auto', 'true', 'false'], default: 'auto' }
  }
} as const
