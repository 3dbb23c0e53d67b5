import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { TestContext } from 'node:test'
import { pino } from 'pino'
import { createClickHouse, type ClickHouseClient } from '../../src/clickhouse/client.ts'
import { onCluster } from '../../src/clickhouse/cluster-ddl.ts'
import { loadConfig, type Config } from '../../src/config/load.ts'
import { createAdmin, createProducer } from '../../src/kafka/clients.ts'
import { groupLag } from '../../src/kafka/lag.ts'
import { ensureTopics } from '../../src/kafka/topics.ts'

/**
 * Integration-test helpers against the real stack (`tickbridge stack up`, or KAFKA_BROKERS / CLICKHOUSE_URL).
 * Every test gets its own topics, consumer group and ClickHouse database, and removes them afterwards.
 */
export const silentLog = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })

/**
 * Exchange times for test data: two hours ago, on a minute boundary. Recent on purpose: rows older than the
 * retention window (90 days) are dropped by the retention job, as they should be.
 */
export const BASE_TS = Math.floor((Date.now() - 2 * 3_600_000) / 60_000) * 60_000

export function uniqueId(): string {
  return randomBytes(4).toString('hex')
}

export interface TestEnv {
  id: string
  /** The environment variables that make this test's config: pass them to child processes. */
  vars: Record<string, string>
  config: Config
  clickhouse: ClickHouseClient
  topics: string[]
}

/** A config whose topics, group and database are unique to this test; cleaned up with t.after(). */
export async function testEnv(t: TestContext, overrides: Record<string, string> = {}): Promise<TestEnv> {
  const id = uniqueId()
  const vars: Record<string, string> = {
    TOPIC_TRADES: `t${id}.trades`,
    TOPIC_DEPTH: `t${id}.depth`,
    TOPIC_QUOTES: `t${id}.quotes`,
    TOPIC_CANDLES: `t${id}.candles`,
    TOPIC_DLQ: `t${id}.dlq`,
    BRIDGE_GROUP_ID: `tb-test-${id}`,
    CLICKHOUSE_DATABASE: `tb_test_${id}`,
    STATS_INTERVAL_MS: '0',
    LOG_PRETTY: 'false',
    // No heartbeats unless a test starts its own hub (a developer's hub must not see test instances).
    HUB_URL: '',
    // Feeds spool what Kafka has not taken yet here, not in the developer's TICKBRIDGE_HOME.
    FEED_SPOOL_DIR: join(tmpdir(), `tb-test-spool-${id}`),
    ...overrides
  }
  const config = loadConfig({ ...process.env, ...vars }, '/nonexistent/.env')
  const topics = [
    config.topics.trades,
    config.topics.depth,
    config.topics.quotes,
    config.topics.candles,
    config.topics.dlq
  ]
  const admin = createAdmin(config.kafka)
  // Closed on failure too: an open admin client keeps the test process alive after the test has failed.
  await ensureTopics(admin, topics, config.topics.partitions).finally(() => admin.close())
  const clickhouse = createClickHouse(config.clickhouse)
  t.after(async () => {
    rmSync(config.feed.spoolDir, { recursive: true, force: true })
    await clickhouse
      .command({
        query: `DROP DATABASE IF EXISTS ${config.clickhouse.database}${onCluster(config.clickhouse.cluster)}`
      })
      .catch(() => undefined)
    await clickhouse.close()
    const cleanup = createAdmin(config.kafka)
    await cleanup.deleteTopics({ topics }).catch(() => undefined)
    await cleanup.deleteGroups({ groups: [config.bridge.groupId] }).catch(() => undefined)
    await cleanup.close()
  })
  return { id, vars, config, clickhouse, topics }
}

export async function produce(
  config: Config,
  messages: { topic: string; key: string; value: string }[]
): Promise<void> {
  const producer = createProducer(config.kafka, 'tickbridge-test')
  try {
    for (let i = 0; i < messages.length; i += 5_000)
      await producer.send({ messages: messages.slice(i, i + 5_000) })
  } catch (error) {
    throw new Error(`producing failed: ${explain(error)}`, { cause: error })
  } finally {
    await producer.close()
  }
}

export async function queryRows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const result = await client.query({ query, format: 'JSONEachRow' })
  return result.json<T>()
}

export async function count(client: ClickHouseClient, query: string): Promise<number> {
  const rows = await queryRows<{ n: string | number }>(client, query)
  return Number(rows[0]?.n ?? 0)
}

/** Polls until `check` returns true; fails with `describe()` after `timeoutMs`. */
export async function eventually(
  check: () => Promise<boolean>,
  describe: () => Promise<string> | string,
  timeoutMs = 60_000
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    await sleep(250)
  }
  throw new Error(`timed out after ${timeoutMs} ms: ${await describe()}`)
}

/** "98012.500000000000000000" and "98012.50" both become "98012.5": compare decimal values as text. */
export function normalizeDecimal(text: string): string {
  if (!text.includes('.')) return text
  return text.replace(/0+$/, '').replace(/\.$/, '')
}

/** The nested causes of a Kafka client error, on one line. */
export function explain(error: unknown): string {
  const e = error as { message?: string; errors?: unknown[]; cause?: unknown }
  const inner = [...(e.errors ?? []), ...(e.cause ? [e.cause] : [])].map(explain)
  return [e.message ?? String(error), ...inner].join(' <- ')
}

/** Waits until the test group's committed offsets reach the end of `topics` (empty partitions need no commit). */
export async function waitCommittedToEnd(env: TestEnv, topics: string[], timeoutMs = 120_000): Promise<void> {
  const admin = createAdmin(env.config.kafka)
  const lag = () => groupLag(admin, env.config.bridge.groupId, topics)
  try {
    await eventually(
      async () => (await lag()).every((p) => p.committed === p.end || (p.end === 0n && p.committed < 0n)),
      async () =>
        (await lag())
          .filter((p) => p.committed !== p.end)
          .map((p) => `${p.topic}:${p.partition} committed=${p.committed} end=${p.end}`)
          .join('; '),
      timeoutMs
    )
  } finally {
    await admin.close()
  }
}
