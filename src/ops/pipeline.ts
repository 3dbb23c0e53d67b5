import type { SourceMode } from '../bridge/source-mode.ts'
import { setTimeout as sleep } from 'node:timers/promises'
import { bridgeTopics } from '../bridge/run.ts'
import { createSchemaClickHouse } from '../clickhouse/client.ts'
import { migrate } from '../clickhouse/migrate.ts'
import { localExchanges, localFeedArgs } from '../sim/local-exchanges.ts'
import type { Config } from '../config/types.ts'
import type { InstanceView } from '../core/instance-registry.ts'
import type { PoolTarget } from '../core/pools.ts'
import { ErrorCodes, TickbridgeError } from '../errors.ts'
import { createAdmin } from '../kafka/clients.ts'
import { ensureTopics } from '../kafka/topics.ts'
import type { Logger } from '../logger.ts'
import {
  listLocalProcesses,
  scaleLocalBridges,
  startLocalProcess,
  stopLocalProcess,
  type LocalProcess,
  type LocalRole
} from '../stack/local-processes.ts'
import { portOpen, tailFile } from '../stack/processes.ts'
import { stackUp } from '../stack/stack.ts'
import { defaultHubUrl } from './snapshot.ts'

/**
 * The whole local pipeline as background processes (`tickbridge start | stop | restart`): the stack (when
 * local), schema and topics, the hub, the market simulator serving Wallex's socket protocol, a feed connected
 * to it, and N bridges. Each step is idempotent: what already runs is kept.
 */
export interface PipelineOptions {
  /** Bridges of every type; ignored when `pools` is given. */
  bridges: number
  /** Worker pools instead (`start --pools trades=3,depth=2`): each its own types, consumer group and count. */
  pools?: PoolTarget[]
  /**
   * Where the bridges read (`bridge --source`, default kafka). Other than kafka, the feed also publishes to NATS
   * (`feed --nats`).
   */
  source?: SourceMode
  /** Simulated trades per second (the simulator's rate for the feed's connection). */
  rate: number
  /**
   * The exchange the simulator plays and the feed speaks: `wallex` (the simulator's Wallex socket), or one of
   * the exchanges with a local server (sim/local-exchanges.ts: binance, coinbase, kraken, bybit, okx).
   */
  exchange: string
  /** The feed's symbols; empty = the exchange's defaults. */
  symbols: string[]
  simPort: number
  /** Wait this long for every instance to report to the hub. */
  readyTimeoutMs: number
}

/** Twelve liquid pairs whose keys (wallex:<symbol>) fall two to each of the default 6 partitions. */
export const defaultSymbols = [
  'BTCUSDT',
  'ETHUSDT',
  'SOLUSDT',
  'XRPUSDT',
  'DOGEUSDT',
  'BNBUSDT',
  'LTCUSDT',
  'DOTUSDT',
  'UNIUSDT',
  'ATOMUSDT',
  'NEARUSDT',
  'FILUSDT'
]

export async function startPipeline(
  config: Config,
  options: PipelineOptions,
  progress: (line: string) => void,
  log: Logger
): Promise<LocalProcess[]> {
  await stackUp(config, progress)
  const clickhouse = createSchemaClickHouse(config.clickhouse)
  await migrate(clickhouse, config.clickhouse, log).finally(() => clickhouse.close())
  const admin = createAdmin(config.kafka)
  await ensureTopics(admin, [...bridgeTopics(config), config.topics.dlq], config.topics.partitions).finally(
    () => admin.close()
  )
  const hubUrl = config.hub.url || defaultHubUrl(config)
  if (!(await reachable(`${hubUrl}/healthz`))) {
    const hub = ensureRunning(config, 'hub', [], progress)
    await waitFor(() => reachable(`${hubUrl}/healthz`), 20_000, hub, `the hub at ${hubUrl}`)
  }
  const server = localExchanges[options.exchange]
  const symbols = options.symbols.length > 0 ? options.symbols : (server?.symbols ?? defaultSymbols)
  const serve = [
    '--serve',
    options.exchange,
    '--port',
    String(options.simPort),
    '--rate',
    String(options.rate)
  ]
  const sim = ensureRunning(
    config,
    'sim',
    server ? [...serve, '--symbols', symbols.join(',')] : serve,
    progress
  )
  await waitFor(() => portOpen(options.simPort), 20_000, sim, `the simulator on port ${options.simPort}`)
  const source = options.source ?? 'kafka'
  ensureRunning(
    config,
    'feed',
    [
      ...(server
        ? localFeedArgs(options.exchange, '127.0.0.1', options.simPort, symbols)
        : [
            '--exchange',
            'wallex',
            '--url',
            `ws://127.0.0.1:${options.simPort}/ws`,
            '--symbols',
            symbols.join(',')
          ]),
      ...(source === 'kafka' ? [] : ['--nats'])
    ],
    progress
  )
  const { started, stopped } = await scaleLocalBridges(config, options.pools ?? options.bridges, source)
  for (const b of stopped) progress(`stopped ${b.name} (pid ${b.pid})`)
  for (const b of started) progress(`started ${b.name} (pid ${b.pid}), log ${b.log}`)

  const bridges = pipelineBridges(options)
  progress(`waiting for ${bridges} bridge(s) and the feed to report to the hub ...`)
  const ready = async () => {
    const instances = await hubInstances(hubUrl)
    const alive = (role: string) => instances.filter((i) => i.role === role && i.state === 'alive')
    return alive('feed').length >= 1 && alive('bridge').length >= bridges
  }
  const local = listLocalProcesses(config, 'bridge')
  await waitFor(ready, options.readyTimeoutMs, local[0] ?? null, 'every instance reporting to the hub')
  return listLocalProcesses(config)
}

/** How many bridges the options run, over every pool. */
export function pipelineBridges(options: Pick<PipelineOptions, 'bridges' | 'pools'>): number {
  return options.pools ? options.pools.reduce((sum, p) => sum + p.count, 0) : options.bridges
}

/** Stops feeds and the simulator first (nothing new arrives), then the bridges (they drain), then the hub. */
export async function stopPipeline(
  config: Config,
  progress: (line: string) => void
): Promise<LocalProcess[]> {
  const order: LocalRole[][] = [['feed', 'sim'], ['bridge'], ['hub']]
  const stopped: LocalProcess[] = []
  for (const roles of order) {
    const group = listLocalProcesses(config).filter((p) => roles.includes(p.role))
    await Promise.all(group.map(stopLocalProcess))
    for (const p of group) progress(`stopped ${p.name} (pid ${p.pid})`)
    stopped.push(...group)
  }
  return stopped
}

function ensureRunning(
  config: Config,
  role: LocalRole,
  args: string[],
  progress: (line: string) => void
): LocalProcess {
  const running = listLocalProcesses(config, role)[0]
  if (running) {
    progress(`${running.name} already running (pid ${running.pid})`)
    return running
  }
  const started = startLocalProcess(config, { role, ordinal: 1, args })
  progress(`started ${started.name} (pid ${started.pid}), log ${started.log}`)
  return started
}

async function reachable(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok
  } catch {
    return false
  }
}

async function hubInstances(hubUrl: string): Promise<InstanceView[]> {
  const response = await fetch(`${hubUrl}/api/instances`, { signal: AbortSignal.timeout(2_000) })
  return (await response.json()) as InstanceView[]
}

async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  owner: LocalProcess | null,
  what: string
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    await sleep(250)
  }
  throw new TickbridgeError(ErrorCodes.COMMAND_FAILED, `timed out waiting for ${what}`, {
    hint: owner
      ? `See ${owner.log}; its last lines:\n${tailFile(owner.log, 15)}`
      : 'See `tickbridge logs` and `tickbridge status`.'
  })
}
