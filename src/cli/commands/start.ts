import { parseSourceMode } from '../../bridge/source-mode.ts'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Command } from 'commander'
import { createClickHouse, type ClickHouseClient } from '../../clickhouse/client.ts'
import { displayUrl } from '../../core/url-credentials.ts'
import { instanceRows, clusterLine } from '../../ops/format.ts'
import { describeLayout, layoutPresets, parseLayout, poolPresets } from '../../core/pools.ts'
import {
  defaultSymbols,
  pipelineBridges,
  startPipeline,
  stopPipeline,
  type PipelineOptions
} from '../../ops/pipeline.ts'
import { defaultHubUrl, opsSnapshot } from '../../ops/snapshot.ts'
import { parseArguments, parseWholeNumber } from '../arguments.ts'
import { ErrorCodes, TickbridgeError } from '../../errors.ts'
import { localExchanges } from '../../sim/local-exchanges.ts'
import { cliContext, progress } from '../context.ts'
import { clusterSetting } from './stack.ts'
import { formatTable } from '../output.ts'
import { displayNatsUrl } from '../../nats/jetstream.ts'

interface StartFlags {
  bridges: string
  pools?: string
  source: string
  rate: string
  exchange: string
  symbols?: string
  simPort: string
  follow?: boolean
  duration?: string
  cluster?: boolean
}

/** `--exchange`: wallex (the simulator's socket protocol) or an exchange with a local server. */
function exchangeToServe(name: string): string {
  if (name === 'wallex' || Object.hasOwn(localExchanges, name)) return name
  throw new TickbridgeError(ErrorCodes.INVALID_ARGUMENT, `start cannot simulate exchange "${name}"`, {
    hint: `--exchange takes ${['wallex', ...Object.keys(localExchanges)].join(', ')} (Polygon needs an API key: run its feed yourself)`
  })
}

function pipelineOptions(flags: StartFlags): PipelineOptions {
  const pools =
    flags.pools === undefined
      ? undefined
      : parseArguments(
          () => parseLayout([flags.pools ?? '']),
          `--pools takes <pool>=<n> items (e.g. trades=3,depth=2) or ${Object.keys(layoutPresets).join(', ')}`
        )
  return {
    bridges: parseWholeNumber(flags.bridges, '--bridges', 1),
    ...(pools ? { pools } : {}),
    source: parseSourceMode(flags.source),
    rate: parseWholeNumber(flags.rate, '--rate', 1),
    exchange: exchangeToServe(flags.exchange),
    symbols: (flags.symbols ?? '')
      .split(',')
      .map((s) => s.trim().toUpperCase())
      .filter(Boolean),
    simPort: parseWholeNumber(flags.simPort, '--sim-port', 1),
    readyTimeoutMs: 90_000
  }
}

/** `tickbridge start | stop | restart`: the whole local pipeline in the background. */
export function registerPipelineControlCommands(program: Command): void {
  const withStartOptions = (command: Command) =>
    command
      .option('-b, --bridges <n>', 'bridge instances (of every type)', '3')
      .option(
        '--pools <layout>',
        `worker pools instead of --bridges: <pool>=<n>,... (${Object.entries(poolPresets)
          .map(([name, types]) => `${name} = ${types.join('+')}`)
          .join(', ')}) or ${Object.entries(layoutPresets)
          .map(([name, layout]) => `${name} (${layout})`)
          .join(', ')}`
      )
      .option(
        '--source <where>',
        'where the bridges read: kafka, nats (the feed publishes to NATS too) or both (bridge --source)',
        'kafka'
      )
      .option('-r, --rate <tradesPerSec>', 'simulated trades per second', '2000')
      .option(
        '-e, --exchange <name>',
        `the exchange the local simulator plays and the feed speaks: ${['wallex', ...Object.keys(localExchanges)].join(' | ')}`,
        'wallex'
      )
      .option(
        '-s, --symbols <list>',
        `symbols the feed subscribes to (default: the exchange's; wallex: ${defaultSymbols.slice(0, 3).join(',')},…)`
      )
      .option('--sim-port <port>', "port of the simulator's Wallex socket", '8765')
      .option('-f, --follow', 'then print what flows into ClickHouse every 2 s (Ctrl-C stops watching)')
      .option('-d, --duration <seconds>', 'follow, then stop the pipeline after this many seconds')
      .option('--cluster', 'on the local cluster stack (TICKBRIDGE_CLUSTER): see docs/clusters.md')

  withStartOptions(
    program
      .command('start')
      .description(
        'the main job: local stack, schema, topics, hub, market simulator, a Wallex feed on it and N bridges, in the background'
      )
  ).action(async (flags: StartFlags) => {
    await start(flags)
  })

  program
    .command('stop')
    .description('stop the pipeline: feed and simulator, then bridges (they drain and commit), then the hub')
    .action(async () => {
      const stopped = await stopPipeline(cliContext().config, progress)
      progress(
        stopped.length
          ? 'pipeline stopped; the stack keeps running (`tickbridge stack down` stops it)'
          : 'nothing of the pipeline was running'
      )
    })

  withStartOptions(program.command('restart').description('stop, then start the pipeline')).action(
    async (flags: StartFlags) => {
      await stopPipeline(cliContext().config, progress)
      await start(flags)
    }
  )
}

async function start(flags: StartFlags): Promise<void> {
  const { config, log } = cliContext(clusterSetting(flags))
  const options = pipelineOptions(flags)
  const durationMs =
    flags.duration === undefined ? undefined : parseWholeNumber(flags.duration, '--duration', 1) * 1000
  await startPipeline(config, options, progress, log)
  const hubUrl = config.hub.url || defaultHubUrl(config)
  const snapshot = await opsSnapshot(config, hubUrl)
  const db = config.clickhouse.database
  console.log(
    [
      '',
      formatTable(instanceRows(snapshot)),
      '',
      clusterLine(snapshot),
      '',
      `Running: simulator of ${options.exchange} (${options.rate} trades/s) -> feed -> Kafka ${config.kafka.brokers.join(',')}${options.source === 'kafka' ? '' : ` and NATS ${displayNatsUrl(config.nats.url)}`} -> ${pipelineBridges(options)} bridge(s)${options.source === 'kafka' ? '' : ` reading ${options.source}`}${options.pools ? ` in pools ${describeLayout(options.pools)}` : ''} -> ClickHouse ${displayUrl(config.clickhouse.url)}`,
      `Dashboard: ${hubUrl}/`,
      `Watch:     tickbridge monitor | tickbridge status | tickbridge lag | tickbridge logs bridge -f`,
      `Query:     tickbridge query trades --exchange ${options.exchange} --symbol ${options.symbols[0] ?? localExchanges[options.exchange]?.symbols[0] ?? 'BTCUSDT'}   (or curl '${displayUrl(config.clickhouse.url)}/' --data-binary "SELECT symbol, count() FROM ${db}.trades FINAL GROUP BY symbol")`,
      `Stop:      tickbridge stop   (the stack keeps running; \`tickbridge stack down\` stops it)`
    ].join('\n')
  )
  if (!flags.follow && !flags.duration) return
  const clickhouse = createClickHouse(config.clickhouse)
  try {
    await follow(clickhouse, `${db}.trades`, durationMs)
  } finally {
    await clickhouse.close()
  }
  if (flags.duration) await stopPipeline(config, progress)
}

/** Prints rows in ClickHouse, their rate and freshness every 2 s until Ctrl-C or the duration. */
async function follow(clickhouse: ClickHouseClient, table: string, durationMs?: number): Promise<void> {
  const stop = new AbortController()
  process.once('SIGINT', () => stop.abort()).once('SIGTERM', () => stop.abort())
  const deadline = durationMs ? Date.now() + durationMs : Number.POSITIVE_INFINITY
  let last: { rows: number; at: number } | null = null
  while (!stop.signal.aborted && Date.now() < deadline) {
    await sleep(2000, undefined, { signal: stop.signal }).catch(() => undefined)
    const { rows, newestRecvTs } = await flowSnapshot(clickhouse, table)
    const now = Date.now()
    const freshness = newestRecvTs > 0 ? `  newest row received ${now - newestRecvTs} ms ago` : ''
    const rate = last ? Math.round(((rows - last.rows) * 1000) / (now - last.at)) : 0
    last = { rows, at: now }
    progress(
      `${new Date(now).toISOString().slice(11, 19)}  trades in ClickHouse: ${rows.toLocaleString('en-US')}  (+${rate.toLocaleString('en-US')}/s)${freshness}`
    )
  }
}

/** Rows in the table, and the newest recv_ts among them (how far behind the feed ClickHouse is). */
async function flowSnapshot(
  client: ClickHouseClient,
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
