import { Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { migrate } from '../../src/clickhouse/migrate.ts'
import type { MarketMessage } from '../../src/core/messages.ts'
import { rowFor } from '../../src/core/rows.ts'
import { silentLog, type TestEnv } from './stack.ts'

/** Applies the schema to the test database and inserts the messages' rows directly (no Kafka, no bridge). */
export async function insertMessages(env: TestEnv, messages: MarketMessage[]): Promise<void> {
  await migrate(env.clickhouse, env.config.clickhouse, silentLog)
  const bodies = new Map<string, string>()
  for (const message of messages) {
    const { table, line } = rowFor(message)
    bodies.set(table, (bodies.get(table) ?? '') + line)
  }
  for (const [table, body] of bodies) {
    const result = await env.clickhouse.exec({
      query: `INSERT INTO ${env.config.clickhouse.database}.${table} FORMAT JSONEachRow`,
      values: Readable.from([Buffer.from(body)])
    })
    result.stream.resume()
    await finished(result.stream)
  }
}
