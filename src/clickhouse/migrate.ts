import { setTimeout as sleep } from 'node:timers/promises'
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
    await runStatement(client, `CREATE DATABASE IF NOT EXISTS ${database}${onCluster(cluster)}`)
    await runStatement(client, migrationsTableSql(database, cluster))
  }
  const result = await client.query({
    query: `SELECT version FROM ${database}.schema_migrations FINAL`,
    format: 'JSONEachRow'
  })
  const applied = new Set((await result.json<{ version: number }>()).map((row) => Number(row.version)))
  const done: string[] = []
  for (const migration of pendingMigrations(migrations, applied)) {
    for (const statement of migration.statements(context))
      await runStatement(client, statement, migration.name)
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

/**
 * 473 (DDL_GUARD_IS_ACTIVE): 18.16 refuses DDL on a table name another query is creating, renaming or dropping
 * at that moment, instead of waiting (two bridges migrating at once): tried again, a few times.
 */
const DDL_GUARD_IS_ACTIVE = 473
const DDL_GUARD_ATTEMPTS = 10

/** Runs one statement as `migrate` does: "already done" codes accepted, a busy DDL guard waited out. */
export async function runStatement(
  client: ClickHouseClient,
  statement: Statement,
  migration = 'bootstrap'
): Promise<void> {
  const query = statementQuery(statement)
  const alreadyDoneCodes = typeof statement === 'string' ? [] : statement.alreadyDoneCodes
  for (let attempt = 1; ; attempt++) {
    try {
      await client.command({ query })
      return
    } catch (error) {
      const code = Number(clickhouseErrorCode(error))
      if (alreadyDoneCodes.includes(code)) return
      if (code === DDL_GUARD_IS_ACTIVE && attempt < DDL_GUARD_ATTEMPTS) {
        await sleep(100 * attempt)
        continue
      }
      throw migrationFailed(migration, error)
    }
  }
}

function migrationFailed(migration: string, error: unknown): TickbridgeError {
  return new TickbridgeError(
    ErrorCodes.MIGRATION_FAILED,
    `ClickHouse migration ${migration} failed: ${describeError(error)}`,
    { cause: error, retriable: false }
  )
}
