import { readFileSync } from 'node:fs'
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client'
import type { ClickHouseConfig } from '../config/types.ts'
import { describeError, ErrorCodes, TickbridgeError } from '../errors.ts'
import { capabilitiesOf, type ServerCapabilities } from './capabilities.ts'
import { connectionFailure, EndpointRotation } from './endpoints.ts'

export type { ClickHouseClient }

type ClientConfig = Pick<ClickHouseConfig, 'url' | 'user' | 'password'> &
  Partial<Pick<ClickHouseConfig, 'urls' | 'cluster' | 'caFile' | 'endpointRetryMs'>>

/** ClickHouse's default distributed_ddl_task_timeout: how long an ON CLUSTER statement may take to answer. */
const DISTRIBUTED_DDL_TIMEOUT_MS = 180_000

/**
 * A client for schema statements (migrations, retention's partition drops, validate's scratch table). On a
 * cluster they run ON CLUSTER, and the server answers once every node ran them, up to its
 * distributed_ddl_task_timeout (180 s); the usual client gives up at 30 s, so on a loaded cluster a statement
 * that went on to succeed was reported as failed. @clickhouse/client has no per-request timeout: a client of
 * its own, so inserts and queries keep the shorter one (a stuck node is left for the next one sooner).
 */
export function createSchemaClickHouse(config: ClientConfig): ClickHouseClient {
  return createClickHouse(config, {
    requestTimeoutMs: config.cluster ? DISTRIBUTED_DDL_TIMEOUT_MS : undefined
  })
}

/**
 * The one place ClickHouse clients are built. One URL: a plain client, as always. Several (CLICKHOUSE_URL as a
 * list): a client per node behind one that moves to the next node when the current one cannot be reached
 * (endpoints.ts). In cluster mode, every insert waits until its shard holds the rows (docs/decisions).
 */
export function createClickHouse(
  config: ClientConfig,
  options: { database?: string; requestTimeoutMs?: number } = {}
): ClickHouseClient {
  const urls = config.urls && config.urls.length > 0 ? config.urls : [config.url]
  const caCert = config.caFile ? readFileSync(config.caFile) : undefined
  const clients = urls.map((url) =>
    createClient({
      url,
      username: config.user,
      password: config.password,
      // The database may not exist yet (migrations create it), so queries name it explicitly.
      database: options.database ?? 'default',
      request_timeout: options.requestTimeoutMs ?? 30_000,
      // 18.16 does not know newer settings; send none by default.
      compression: { request: false, response: false },
      application: 'tickbridge',
      // Failures reach our own code (and pino) as exceptions; the client's console logger would only duplicate them.
      log: { level: ClickHouseLogLevel.OFF },
      ...(caCert ? { tls: { ca_cert: caCert } } : {}),
      ...(config.cluster ? { clickhouse_settings: clusterSettings } : {})
    })
  )
  const [first] = clients
  if (!first) throw new TickbridgeError(ErrorCodes.CONFIG_INVALID, 'CLICKHOUSE_URL names no server')
  if (clients.length === 1) return first
  return failoverClient(clients, config.endpointRetryMs ?? 10_000)
}

/**
 * Every request of a cluster-mode client. insert_distributed_sync: through a Distributed table, an insert
 * returns once every shard it touches has its rows (not queued; docs/decisions/cluster-inserts.md).
 * load_balancing in_order: inserts and reads of a shard go to its first live replica (the node's own replica
 * first, prefer_localhost_replica), so a read through the node that took an insert sees it before replication
 * has copied it to the other replica (the candle recompute and validate read right after they insert).
 */
const clusterSettings = { insert_distributed_sync: 1, load_balancing: 'in_order' } as const

const failoverMethods = new Set(['query', 'insert', 'command', 'exec', 'ping'])

/** Whether a request can be sent again as it is: a stream body is consumed by the first attempt. */
function replayable(params: unknown): boolean {
  const values = (params as { values?: unknown } | undefined)?.values
  return !(values && typeof (values as { pipe?: unknown }).pipe === 'function')
}

/**
 * A client over several nodes with the interface of one. A request goes to the current node; when the node
 * cannot be reached, the request goes to the next one. A request whose connection broke or timed out is not
 * re-sent (the node may have run it: an insert would land twice), nor is a streamed insert: it fails, the node
 * is marked dead, and the caller's retry starts on the next node.
 */
function failoverClient(clients: ClickHouseClient[], retryAfterMs: number): ClickHouseClient {
  const rotation = new EndpointRotation(clients.length, retryAfterMs, process.pid % clients.length)
  const call = async (method: string, args: unknown[]): Promise<unknown> => {
    let lastError: unknown
    for (const node of rotation.order(Date.now())) {
      const client = clients[node] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>
      try {
        const result = await client[method]!(...args)
        // ping reports an unreachable node as { success: false } instead of throwing.
        const ping = result as { success?: boolean; error?: unknown }
        if (method === 'ping' && ping.success === false) throw ping.error
        rotation.answered(node)
        return result
      } catch (error) {
        const failure = connectionFailure(error)
        if (failure === null) throw error
        rotation.failed(node, Date.now())
        lastError = error
        if (failure === 'dropped' || !replayable(args[0])) break
      }
    }
    throw lastError
  }
  return new Proxy(clients[0]!, {
    get(target, property, receiver) {
      if (typeof property === 'string' && failoverMethods.has(property))
        return (...args: unknown[]) => call(property, args)
      if (property === 'close') return () => Promise.all(clients.map((c) => c.close())).then(() => undefined)
      return Reflect.get(target, property, receiver) as unknown
    }
  })
}

export async function serverVersion(client: ClickHouseClient): Promise<string> {
  try {
    const result = await client.query({ query: 'SELECT version() AS version', format: 'JSONEachRow' })
    const rows = await result.json<{ version: string }>()
    return rows[0]?.version ?? 'unknown'
  } catch (error) {
    throw new TickbridgeError(
      ErrorCodes.CLICKHOUSE_UNAVAILABLE,
      `ClickHouse is not answering: ${describeError(error)}`,
      {
        cause: error,
        retriable: true,
        hint: 'Start the local stack with `tickbridge stack up`, or check CLICKHOUSE_URL.'
      }
    )
  }
}

export async function detectCapabilities(client: ClickHouseClient): Promise<ServerCapabilities> {
  return capabilitiesOf(await serverVersion(client))
}
