import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { test } from 'node:test'
import { createClickHouse, serverVersion } from '../../src/clickhouse/client.ts'
import { freePort } from '../helpers/ports.ts'
import { testEnv } from '../helpers/stack.ts'

test('CLICKHOUSE_URL as a list: a node nobody answers on is skipped, the next one serves', async (t) => {
  const env = await testEnv(t)
  const dead = `http://127.0.0.1:${await freePort()}`
  const live = env.config.clickhouse.url
  const client = createClickHouse({ ...env.config.clickhouse, urls: [dead, live], endpointRetryMs: 60_000 })
  t.after(() => client.close())
  // Whichever node it starts at, every request is answered.
  for (let i = 0; i < 3; i++) assert.match(await serverVersion(client), /^\d+\./)
  assert.equal((await client.ping()).success, true)
  // A streamed body is not sent twice, but once the dead node is known, inserts go to the live one.
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${env.config.clickhouse.database}` })
  const table = `${env.config.clickhouse.database}.failover`
  await client.command({ query: `CREATE TABLE ${table} (n UInt32) ENGINE = Memory` })
  const result = await client.exec({
    query: `INSERT INTO ${table} FORMAT JSONEachRow`,
    values: Readable.from([Buffer.from('{"n":1}\n{"n":2}\n')])
  })
  result.stream.resume()
  await finished(result.stream)
  const rows = await client.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' })
  assert.deepEqual(await rows.json(), [{ n: '2' }])

  const none = createClickHouse({ ...env.config.clickhouse, urls: [dead], url: dead })
  t.after(() => none.close())
  await assert.rejects(serverVersion(none), /ClickHouse is not answering: .*ECONNREFUSED/)
})
