import { existsSync } from 'node:fs'
import { hostname } from 'node:os'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import envSchemaLoader from 'env-schema'
import { ErrorCodes, TickbridgeError } from '../errors.ts'
import { defaultInstanceIdentity } from './instance-id.ts'
import { envSchema } from './schema.ts'
import type { Config } from './types.ts'

export type { Config } from './types.ts'

/** The project directory (where package.json is), for the default TICKBRIDGE_HOME. */
export const projectRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..')
/** The compiled CLI, for starting role processes (`node <cliEntry> bridge`). */
export const cliEntry = resolve(projectRoot, 'dist/src/cli/main.js')

type RawEnv = Record<string, string | number | boolean | undefined>

/**
 * Reads and validates the environment once. A bad value stops start-up with a message that names the variable.
 * A `.env` file in the working directory is loaded first if present (real environment variables win).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, dotenvPath = resolve('.env')): Config {
  if (env === process.env && existsSync(dotenvPath)) process.loadEnvFile(dotenvPath)
  let raw: RawEnv
  try {
    raw = envSchemaLoader({ schema: envSchema, data: env, dotenv: false }) as unknown as RawEnv
  } catch (error) {
    throw new TickbridgeError(
      ErrorCodes.CONFIG_INVALID,
      `invalid configuration: ${(error as Error).message}`,
      {
        cause: error,
        hint: 'Fix the named environment variable (see docs/configuration.md and .env.example).'
      }
    )
  }
  return buildConfig(raw)
}

function buildConfig(raw: RawEnv): Config {
  const str = (name: keyof typeof envSchema.properties): string => String(raw[name] ?? '')
  const num = (name: keyof typeof envSchema.properties): number => Number(raw[name])
  const home = str('TICKBRIDGE_HOME') || resolve(projectRoot, '.tickbridge')
  const kafkaPort = num('TICKBRIDGE_KAFKA_PORT')
  const chHttpPort = num('TICKBRIDGE_CLICKHOUSE_HTTP_PORT')
  const high = num('BUFFER_HIGH_WATERMARK')
  const low = num('BUFFER_LOW_WATERMARK')
  if (low >= high) {
    throw new TickbridgeError(
      ErrorCodes.CONFIG_INVALID,
      `invalid configuration: BUFFER_LOW_WATERMARK (${low}) must be below BUFFER_HIGH_WATERMARK (${high})`
    )
  }
  const brokers = str('KAFKA_BROKERS')
  const clickhouseUrl = str('CLICKHOUSE_URL')
  const identity = defaultInstanceIdentity({
    role: 'bridge',
    id: str('INSTANCE_ID'),
    ordinal: raw.INSTANCE_ORDINAL === undefined ? undefined : num('INSTANCE_ORDINAL'),
    hostname: hostname(),
    pid: process.pid
  })
  const prettySetting = str('LOG_PRETTY')

  const config: Config = {
    kafka: {
      brokers: brokers
        ? brokers
            .split(',')
            .map((b) => b.trim())
            .filter(Boolean)
        : [`127.0.0.1:${kafkaPort}`],
      external: brokers !== '',
      sessionTimeoutMs: num('KAFKA_SESSION_TIMEOUT_MS'),
      heartbeatIntervalMs: num('KAFKA_HEARTBEAT_INTERVAL_MS')
    },
    clickhouse: {
      url: clickhouseUrl || `http://127.0.0.1:${chHttpPort}`,
      external: clickhouseUrl !== '',
      user: str('CLICKHOUSE_USER'),
      password: str('CLICKHOUSE_PASSWORD'),
      database: str('CLICKHOUSE_DATABASE'),
      retentionDays: num('RETENTION_DAYS')
    },
    stack: {
      home,
      kafkaPort,
      kafkaControllerPort: num('TICKBRIDGE_KAFKA_CONTROLLER_PORT'),
      kafkaHeap: str('TICKBRIDGE_KAFKA_HEAP'),
      clickhouseHttpPort: chHttpPort,
      clickhouseTcpPort: num('TICKBRIDGE_CLICKHOUSE_TCP_PORT'),
      startTimeoutMs: num('TICKBRIDGE_START_TIMEOUT_MS')
    },
    topics: {
      trades: str('TOPIC_TRADES'),
      depth: str('TOPIC_DEPTH'),
      quotes: str('TOPIC_QUOTES'),
      candles: str('TOPIC_CANDLES'),
      dlq: str('TOPIC_DLQ'),
      partitions: num('TOPIC_PARTITIONS')
    },
    bridge: {
      groupId: str('BRIDGE_GROUP_ID'),
      instanceId: identity.instanceId,
      ordinal: identity.ordinal,
      batchMaxRows: num('BATCH_MAX_ROWS'),
      batchMaxAgeMs: num('BATCH_MAX_AGE_MS'),
      bufferMaxMessages: num('BUFFER_MAX_MESSAGES'),
      highWatermark: high,
      lowWatermark: low,
      insertRetryMaxDelayMs: num('INSERT_RETRY_MAX_DELAY_MS'),
      statsIntervalMs: num('STATS_INTERVAL_MS'),
      candlesFromTrades: raw.CANDLES_FROM_TRADES === true,
      candleRefreshIntervalMs: num('CANDLE_REFRESH_INTERVAL_MS')
    },
    feeds: {
      polygonApiKey: str('POLYGON_API_KEY'),
      memoryQueueMax: num('FEED_MEMORY_QUEUE_MAX'),
      spoolDir: str('FEED_SPOOL_DIR') || resolve(home, 'spool'),
      spoolMaxBytes: num('FEED_SPOOL_MAX_BYTES')
    },
    hub: {
      url: str('HUB_URL').replace(/\/+$/, ''),
      host: str('HUB_HOST'),
      port: num('HUB_PORT'),
      token: str('HUB_TOKEN'),
      deadAfterMs: num('HUB_DEAD_AFTER_MS'),
      historyMinutes: num('HUB_HISTORY_MINUTES'),
      insertLatencyLimitMs: num('HUB_INSERT_LATENCY_LIMIT_MS'),
      heartbeatIntervalMs: num('HEARTBEAT_INTERVAL_MS')
    },
    metrics: { port: num('METRICS_PORT'), host: str('METRICS_HOST') },
    log: {
      level: str('LOG_LEVEL'),
      pretty: prettySetting === 'auto' ? Boolean(process.stdout.isTTY) : prettySetting === 'true'
    }
  }
  return deepFreeze(config)
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}
