export interface KafkaConfig {
  brokers: string[]
  /** true when KAFKA_BROKERS points at an existing cluster: nothing is provisioned. */
  external: boolean
  sessionTimeoutMs: number
  heartbeatIntervalMs: number
}

export interface ClickHouseConfig {
  url: string
  /** true when CLICKHOUSE_URL points at an existing server: nothing is provisioned. */
  external: boolean
  user: string
  password: string
  database: string
  retentionDays: number
}

export interface StackConfig {
  home: string
  kafkaPort: number
  kafkaControllerPort: number
  kafkaHeap: string
  clickhouseHttpPort: number
  clickhouseTcpPort: number
  startTimeoutMs: number
}

export interface TopicsConfig {
  trades: string
  depth: string
  quotes: string
  candles: string
  dlq: string
  partitions: number
}

export interface BridgeConfig {
  groupId: string
  instanceId: string
  ordinal: number
  batchMaxRows: number
  batchMaxAgeMs: number
  bufferMaxMessages: number
  highWatermark: number
  lowWatermark: number
  insertRetryMaxDelayMs: number
  statsIntervalMs: number
  candlesFromTrades: boolean
  candleRefreshIntervalMs: number
}

export interface FeedsConfig {
  /** Never logged. */
  polygonApiKey: string
  /** Messages a feed keeps in memory while Kafka is slow or away; past it they go to the spool. */
  memoryQueueMax: number
  /** Where feeds spool what Kafka has not taken yet, one directory per instance id. */
  spoolDir: string
  spoolMaxBytes: number
}

export interface HubConfig {
  /** Where instances send heartbeats; empty disables heartbeats (instances use their own watermarks). */
  url: string
  host: string
  port: number
  /** Shared heartbeat token; empty means the local token file (<home>/hub.token). Never logged. */
  token: string
  deadAfterMs: number
  historyMinutes: number
  /** Cluster backpressure when a bridge's mean insert latency passes this (released below half of it). */
  insertLatencyLimitMs: number
  heartbeatIntervalMs: number
}

export interface MetricsConfig {
  /** Each process's /metrics, /healthz and /readyz port; 0 picks a free port (reported in heartbeats). */
  port: number
  host: string
}

export interface Config {
  kafka: KafkaConfig
  clickhouse: ClickHouseConfig
  stack: StackConfig
  topics: TopicsConfig
  bridge: BridgeConfig
  feeds: FeedsConfig
  hub: HubConfig
  metrics: MetricsConfig
  log: { level: string; pretty: boolean }
}
