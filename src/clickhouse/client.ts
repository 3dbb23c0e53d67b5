import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client'
import type { ClickHouseConfig } from '../config/types.ts'
import { describeError, ErrorCodes, TickbridgeError } from '../errors.ts'
import { capabilitiesOf, type ServerCapabilities } from './capabilities.ts'

export type { ClickHouseClient }

export function createClickHouse(
  config: ClickHouseConfig,
  options: { database?: string } = {}
): ClickHouseClient {
  return createClient({
    url: config.url,
    username: config.user,
    password: config.password,
    // The database may not exist yet (migrations create it), so queries name it explicitly.
    database: options.database ?? 'default',
    request_timeout: 30_000,
    // 18.16 does not know newer settings; send none by default.
    compression: { request: false, response: false },
    application: 'tickbridge',
    // Failures reach our own code (and pino) as exceptions; the client's console logger would only duplicate them.
    log: { level: ClickHouseLogLevel.OFF }
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
