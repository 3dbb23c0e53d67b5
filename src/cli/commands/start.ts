import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { createClickHouse } from '../../clickhouse/client.ts'
import { migrate } from '../../clickhouse/migrate.ts'
import { projectRoot } from '../../config/load.ts'
import { createAdmin } from '../../kafka/clients.ts'
import { ensureTopics } from '../../kafka/topics.ts'
import { bridgeTopics } from '../../bridge/run.ts'
import { stackUp } from '../../stack/stack.ts'
import { progress, type CliContext } from '../context.ts'

const cliEntry = fileURLToPath(new URL('../main.js', import.meta.url))

function spawnRole(home: string, name: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const logs = join(home, 'logs')
  mkdirSync(logs, { recursive: true })
  const out = openSync(join(logs, `${name}.log`), 'a')
  return spawn(process.execPath, [cliEntry, ...args], {
    cwd: projectRoot,
    stdio: ['ignore', out, out],
    env: { ...process.env, LOG_PRETTY: 'false', ...env }
  })
}

/** `tickbridge start` for now: everything in the foreground, one bridge and the simulator, with a flow line. */
export async function runForeground(
  { config, log }: CliContext,
  options: { rate: number; duration?: number }
): Promise<void> {
  await stackUp(config, progress)
  const clickhouse = createClickHouse(config.clickhouse)
  await migrate(clickhouse, config.clickhouse, log)
  const admin = createAdmin(config.kafka)
  await ensureTopics(admin, [...bridgeTopics(config), config.topics.dlq], config.topics.partitions).finally(
    () => admin.close()
  )

  const bridge = spawnRole(config.stack.home, 'bridge-1', ['bridge'], { INSTANCE_ORDINAL: '1' })
  const sim = spawnRole(config.stack.home, 'sim', ['sim', '--rate', String(options.rate)])
  const db = config.clickhouse.database
  progress(
    `\nRunning: simulator (${options.rate} trades/s) -> Kafka ${config.kafka.brokers.join(',')} -> bridge -> ClickHouse ${config.clickhouse.url}`
  )
  progress(
    `Logs: ${join(config.stack.home, 'logs')}/{bridge-1,sim}.log   Stop: Ctrl-C (the stack keeps running; \`tickbridge stack down\` stops it)`
  )
  progress(
    `Query: curl '${config.clickhouse.url}/' --data-binary "SELECT symbol, count() AS trades, max(price) FROM ${db}.trades FINAL GROUP BY symbol"\n`
  )

  const stop = new AbortController()
  process.once('SIGINT', () => stop.abort()).once('SIGTERM', () => stop.abort())
  const deadline = options.duration ? Date.now() + options.duration * 1000 : Number.POSITIVE_INFINITY
  let last: { rows: number; at: number } | null = null
  while (!stop.signal.aborted && Date.now() < deadline && bridge.exitCode === null) {
    await sleep(2000, undefined, { signal: stop.signal }).catch(() => undefined)
    const { rows, newestRecvTs } = await flowSnapshot(clickhouse, `${db}.trades`)
    const now = Date.now()
    const freshness = newestRecvTs > 0 ? `  newest row received ${now - newestRecvTs} ms ago` : ''
    const rate = last ? Math.round(((rows - last.rows) * 1000) / (now - last.at)) : 0
    last = { rows, at: now }
    progress(
      `${new Date(now).toISOString().slice(11, 19)}  trades in ClickHouse: ${rows.toLocaleString('en-US')}  (+${rate.toLocaleString('en-US')}/s)${freshness}`
    )
  }
  if (bridge.exitCode !== null)
    progress(
      `the bridge exited (code ${bridge.exitCode}); see ${join(config.stack.home, 'logs', 'bridge-1.log')}`
    )
  sim.kill('SIGTERM')
  bridge.kill('SIGTERM')
  await Promise.all(
    [sim, bridge].map((child) => (child.exitCode === null ? new Promise((r) => child.once('exit', r)) : null))
  )
  await clickhouse.close()
  progress('stopped the bridge and the simulator; the stack is still up (`tickbridge stack down` stops it)')
}

/** Rows in the table, and the newest recv_ts among them (how far behind the feed ClickHouse is). */
async function flowSnapshot(
  client: ReturnType<typeof createClickHouse>,
  table: string
): Promise<{ rows: number; newestRecvTs: number }> {
  try {
    const result = await client.query({
      query: `SELECT count() AS n, max(recv_ts) AS newest FROM ${table}`,
      format: 'JSONEachRow'
    })
    const [row] = await result.json<{ n: string | number; newest: string | number }>()
    return { rows: Number(row?.n ?? 0), newestRecvTs: Number(row?.newest ?? 0) }
  } catch {
    return { rows: 0, newestRecvTs: 0 }
  }
}
