import type { Logger } from 'pino'
import type { ClickHouseConfig } from '../config/types.ts'
import { clickhouseErrorCode } from '../core/insert-errors.ts'
import { describeError, ErrorCodes, TickbridgeError } from '../errors.ts'
import { detectCapabilities, type ClickHouseClient } from './client.ts'
import { onCluster } from './cluster-ddl.ts'
import {
  migrations,
  migrationsTableSql,
  pendingMigrations,
  type MigrationContext,
  statementQuery,
  type Statement
} from './migrations.ts'

export interface MigrateResult {
  serverVersion: string
  applied: string[]
}

/** Applies every pending migration to `database`, creating it if needed. Safe to run again and concurrently. */
export async function migrate(
  client: ClickHouseClient,
  config: ClickHouseConfig,
  log: Logger
): Promise<MigrateResult> {
  const { database, retentionDays, cluster } = config
  const capabilities = await detectCapabilities(client)
  const context: MigrationContext = { database, capabilities, retentionDays, cluster }
  // ON CLUSTER waits for every node: a cluster already set up is not asked again, so a bridge can start while
  // a replica is down.
  if (!cluster || !(await tableExists(client, `${database}.schema_migrations`))) {
    await run(client, `CREATE DATABASE IF NOT EXISTS ${database}${onCluster(cluster)}`)
    await run(client, migrationsTableSql(database, cluster))
  }
  const result = await client.query({
    query: `SELECT version FROM ${database}.schema_migrations FINAL`,
    format: 'JSONEachRow'
  })
  const applied = new Set((await result.json<{ version: number }>()).map((row) => Number(row.version)))
  const done: string[] = []
  for (const migration of pendingMigrations(migrations, applied)) {
    for (const statement of migration.statements(context)) await run(client, statement, migration.name)
    await client.insert({
      table: `${database}.schema_migrations`,
      values: [
        { version: migration.version, name: migration.name, applied_at: Math.floor(Date.now() / 1000) }
      ],
      format: 'JSONEachRow'
    })
    log.info({ version: migration.version, migration: migration.name }, 'applied ClickHouse migration')
    done.push(`${migration.version}_${migration.name}`)
  }
  return { serverVersion: capabilities.version, applied: done }
}

async function tableExists(client: ClickHouseClient, table: string): Promise<boolean> {
  const result = await client.query({ query: `EXISTS TABLE ${table}`, format: 'JSONEachRow' })
  const [row] = await result.json<{ result: number | string }>()
  return Number(row?.result) === 1
}

async function run(client: ClickHouseClient, statement: Statement, migration = 'bootstrap'): Promise<void> {
  const query = statementQuery(statement)
  const alreadyDoneCodes = typeof statement === 'string' ? [] : statement.alreadyDoneCodes
  try {
    await client.command({ query })
  } catch (error) {
    if (alreadyDoneCodes.includes(Number(clickhouseErrorCode(error)))) return
    throw new TickbridgeError(
      ErrorCodes.MIGRATION_FAILED,
      `ClickHouse migration ${migration} failed: ${describeError(error)}`,
      { cause: error, retriable: false }
    )
  }
}
