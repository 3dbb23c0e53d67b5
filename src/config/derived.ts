import { resolve } from 'node:path'
import { ALL_POOL, InvalidPool, resolvePool, type BridgePool } from '../core/pools.ts'
import { ErrorCodes, TickbridgeError } from '../errors.ts'
import { defaultInstanceIdentity } from './instance-id.ts'
import { Secret } from './secret.ts'
import type { SectionName, Settings } from './settings/index.ts'

/** What the derived values depend on besides the settings; passed in, so the derivations stay pure. */
export interface HostFacts {
  hostname: string
  pid: number
  /** The project directory, for the default TICKBRIDGE_HOME. */
  projectRoot: string
  /** Whether stdout is a terminal (LOG_PRETTY=auto). */
  isTTY: boolean
}

/** The local cluster's broker ports (`stack up --cluster`): the first and the next two. */
export const clusterBrokerPorts = (first: number): number[] => [first, first + 1, first + 2]

type Derivation = (settings: Settings, host: HostFacts) => unknown

const home = (s: Settings, host: HostFacts): string =>
  s.TICKBRIDGE_HOME || resolve(host.projectRoot, '.tickbridge')

/** The name of the local ClickHouse cluster in its nodes' remote_servers (`stack up --cluster`). */
export const LOCAL_CLICKHOUSE_CLUSTER = 'tickbridge'
export const LOCAL_CLICKHOUSE_NODES = 4

/** BATCH_EARLY_ROWS when unset and the bridges insert into write buffers (docs/clickhouse-schema.md#write-buffers). */
export const BUFFERED_EARLY_ROWS = 500

const clickhouseCluster = (s: Settings): string =>
  s.CLICKHOUSE_CLUSTER || (s.TICKBRIDGE_CLUSTER && !s.CLICKHOUSE_URL ? LOCAL_CLICKHOUSE_CLUSTER : '')

/** Node n (1..4) of the local ClickHouse cluster serves HTTP on base+n (src/stack/clickhouse-cluster.ts). */
export function localClusterHttpPort(base: number, node: number): number {
  return base + node
}

const clickhouseUrls = (s: Settings): string[] => {
  if (s.CLICKHOUSE_URL)
    return s.CLICKHOUSE_URL.split(',')
      .map((url) => url.trim())
      .filter(Boolean)
  if (s.TICKBRIDGE_CLUSTER) {
    return Array.from(
      { length: LOCAL_CLICKHOUSE_NODES },
      (_, i) => `http://127.0.0.1:${localClusterHttpPort(s.TICKBRIDGE_CLUSTER_CLICKHOUSE_PORT, i + 1)}`
    )
  }
  return [`http://127.0.0.1:${s.TICKBRIDGE_CLICKHOUSE_HTTP_PORT}`]
}

/** The bridge's pool (BRIDGE_TYPES, BRIDGE_POOL): which types it consumes, in which consumer group. */
const bridgePool = (s: Settings): BridgePool => {
  try {
    return resolvePool({ types: s.BRIDGE_TYPES, name: s.BRIDGE_POOL }, s.BRIDGE_GROUP_ID)
  } catch (error) {
    if (!(error instanceof InvalidPool)) throw error
    const named = [s.BRIDGE_TYPES ? 'BRIDGE_TYPES' : '', s.BRIDGE_POOL ? 'BRIDGE_POOL' : '']
    throw new TickbridgeError(
      ErrorCodes.CONFIG_INVALID,
      `invalid configuration: ${named.filter(Boolean).join(' with ')}: ${error.message}`,
      { cause: error, hint: 'See BRIDGE_TYPES and BRIDGE_POOL in docs/configuration.md.' }
    )
  }
}

const identity = (s: Settings, host: HostFacts) => {
  const pool = bridgePool(s).name
  return defaultInstanceIdentity({
    role: 'bridge',
    id: s.INSTANCE_ID,
    ordinal: s.INSTANCE_ORDINAL,
    hostname: host.hostname,
    pid: host.pid,
    ...(pool === ALL_POOL ? {} : { pool })
  })
}

/**
 * Config values that are not one variable as written: computed defaults, values built from several variables,
 * and the values a second section shares. Each one replaces (or adds) `config[section][key]`; its return type is
 * the type of that field in `Config`.
 */
export const derivedFields = {
  kafka: {
    brokers: (s: Settings): string[] =>
      s.KAFKA_BROKERS
        ? s.KAFKA_BROKERS.split(',')
            .map((b) => b.trim())
            .filter(Boolean)
        : s.TICKBRIDGE_CLUSTER
          ? clusterBrokerPorts(s.TICKBRIDGE_KAFKA_CLUSTER_PORT).map((port) => `127.0.0.1:${port}`)
          : [`127.0.0.1:${s.TICKBRIDGE_KAFKA_PORT}`],
    /** true when KAFKA_BROKERS points at an existing cluster: nothing is provisioned. */
    external: (s: Settings): boolean => s.KAFKA_BROKERS !== '',
    /** Wrapped: printed, logged or serialized it shows `[redacted]` (see ../config/secret.ts). */
    saslPassword: (s: Settings): Secret => new Secret(s.KAFKA_SASL_PASSWORD)
  },
  clickhouse: {
    /** Every node to use, in order (CLICKHOUSE_URL as a list; the local cluster's 4 nodes; the local server). */
    urls: clickhouseUrls,
    /** The first node: where single-server tools (`stack status`, messages) point. */
    url: (s: Settings): string => clickhouseUrls(s)[0] ?? '',
    cluster: clickhouseCluster,
    /** true when CLICKHOUSE_URL points at an existing server: nothing is provisioned. */
    external: (s: Settings): boolean => s.CLICKHOUSE_URL !== ''
  },
  nats: {
    url: (s: Settings): string => s.NATS_URL || `nats://127.0.0.1:${s.TICKBRIDGE_NATS_PORT}`,
    /** true when NATS_URL points at an existing server: nothing is provisioned. */
    external: (s: Settings): boolean => s.NATS_URL !== ''
  },
  stack: { home },
  bridge: {
    pool: bridgePool,
    instanceId: (s: Settings, host: HostFacts): string => identity(s, host).instanceId,
    ordinal: (s: Settings, host: HostFacts): number => identity(s, host).ordinal,
    /**
     * Into write buffers (one server) an insert appends to memory and makes no part: a busy bridge's batches go at
     * BATCH_MAX_AGE_MS, a quiet one's at the scaled age, so inserts per second stay flat with more bridges.
     */
    batchEarlyRows: (s: Settings): number =>
      s.BATCH_EARLY_ROWS ?? (s.CLICKHOUSE_WRITE_BUFFER && !clickhouseCluster(s) ? BUFFERED_EARLY_ROWS : 0)
  },
  feed: {
    /** The feed's default instance id is `tickbridge-feed-<exchange>-<ordinal>`. */
    ordinal: (s: Settings, host: HostFacts): number => identity(s, host).ordinal,
    statsIntervalMs: (s: Settings): number => s.STATS_INTERVAL_MS,
    spoolDir: (s: Settings, host: HostFacts): string => s.FEED_SPOOL_DIR || resolve(home(s, host), 'spool')
  },
  hub: {
    url: (s: Settings): string => s.HUB_URL.replace(/\/+$/, '')
  },
  log: {
    pretty: (s: Settings, host: HostFacts): boolean =>
      s.LOG_PRETTY === 'auto' ? host.isTTY : s.LOG_PRETTY === 'true'
  }
} as const satisfies { readonly [S in SectionName]?: Readonly<Record<string, Derivation>> }
