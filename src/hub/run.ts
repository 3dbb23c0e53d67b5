import type { Logger } from 'pino'
import { bridgeTopics } from '../bridge/run.ts'
import { createClickHouse, createSchemaClickHouse } from '../clickhouse/client.ts'
import { migrate } from '../clickhouse/migrate.ts'
import type { Config } from '../config/types.ts'
import { ALL_POOL } from '../core/pools.ts'
import { portInUse } from '../port-in-use.ts'
import { createAdmin } from '../kafka/clients.ts'
import { resolveHubToken } from '../telemetry/hub-token.ts'
import { ClusterView } from './cluster-view.ts'
import { every, historyWriter, pollLag, pollTables } from './pollers.ts'
import { buildHubApp } from './server.ts'

export interface RunningHub {
  url: string
  view: ClusterView
  stop(): Promise<void>
}

const SWEEP_MS = 250
const TICK_MS = 1000
const LAG_MS = 2000
const TABLES_MS = 5000
const HISTORY_MS = 5000

/**
 * The hub: the HTTP app plus its pollers (dead-instance sweep, consumer lag, rows per table, history to
 * ClickHouse). Kafka or ClickHouse being down degrades the view, never stops the hub.
 */
export async function startHub(config: Config, rootLog: Logger, port = config.hub.port): Promise<RunningHub> {
  const log = rootLog.child({ role: 'hub' })
  const view = new ClusterView({
    deadAfterMs: config.hub.deadAfterMs,
    historyMs: config.hub.historyMinutes * 60_000,
    insertLatencyLimitMs: config.hub.insertLatencyLimitMs
  })
  view.subscribe((events) => {
    for (const event of events) {
      const line = `${event.kind}${event.instanceId ? ` ${event.instanceId}` : ''}: ${event.detail}`
      if (event.kind === 'backpressure-active') log.warn(`BACKPRESSURE ACTIVE (cluster): ${event.detail}`)
      else if (event.kind === 'backpressure-released')
        log.info(`BACKPRESSURE RELEASED (cluster): ${event.detail}`)
      else if (event.kind === 'died') log.warn(line)
      else log.info(line)
    }
  })

  // The clients first: a bad CA file or SASL setting throws here, before anything runs. Then the port, before
  // any poller starts: a taken one fails the start, instead of a hub whose pollers run on without a page or
  // an endpoint for heartbeats.
  const clickhouse = createClickHouse(config.clickhouse)
  const database = config.clickhouse.database
  const schema = createSchemaClickHouse(config.clickhouse)
  const admin = createAdmin(config.kafka)
  const app = buildHubApp(view, resolveHubToken(config), log, { logIntervalMs: config.hub.logIntervalMs })
  let url: string
  try {
    url = await listen(app, config.hub.host, port)
  } catch (error) {
    await Promise.allSettled([clickhouse.close(), schema.close(), admin.close()])
    throw error
  }
  log.info({ url, dashboard: `${url}/` }, 'hub listening')

  const schemaReady = migrate(schema, config.clickhouse, log)
    .then(
      () => true,
      (error: unknown) => {
        log.warn({ err: error }, 'ClickHouse unavailable: history stays in memory only')
        return false
      }
    )
    .finally(() => schema.close().catch(() => undefined))
  const writeHistory = historyWriter(clickhouse, database)
  const stops = [
    every(SWEEP_MS, async () => void view.sweep(), log, 'sweep'),
    every(TICK_MS, async () => view.tick(), log, 'tick'),
    every(
      LAG_MS,
      () =>
        pollLag(view, admin, { pool: ALL_POOL, group: config.bridge.groupId, topics: bridgeTopics(config) }),
      log,
      'consumer lag'
    ),
    every(
      TABLES_MS,
      () => pollTables(view, clickhouse, database, config.clickhouse.cluster),
      log,
      'ClickHouse row counts'
    ),
    every(
      HISTORY_MS,
      async () => {
        if (await schemaReady) await writeHistory(view.instances())
      },
      log,
      'heartbeat history'
    )
  ]

  let stopping: Promise<void> | null = null
  return {
    url,
    view,
    stop() {
      stopping ??= (async () => {
        for (const stop of stops) stop()
        await app.close()
        await admin.close().catch(() => undefined)
        await clickhouse.close()
      })()
      return stopping
    }
  }
}

/** `app.listen`, with a taken port said as such. */
function listen(app: ReturnType<typeof buildHubApp>, host: string, port: number): Promise<string> {
  return app.listen({ host, port }).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'EADDRINUSE'
      ? portInUse(
          port,
          host,
          'the hub',
          'Set HUB_PORT (or --port) to a free port, or stop what holds this one (another hub?).'
        )
      : error
  })
}
