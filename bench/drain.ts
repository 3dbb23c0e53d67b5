/**
 * Drain benchmark: preload M trade messages into fresh topics, start N bridge processes, and time until all
 * rows are in ClickHouse. Prints msg/s and each bridge's peak RSS. Not part of the test suite.
 *
 *   npm run bench:drain -- --messages 1000000 --bridges 1
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { createClickHouse } from '../src/clickhouse/client.ts'
import { cliEntry, loadConfig } from '../src/config/load.ts'
import { createAdmin, createProducer } from '../src/kafka/clients.ts'
import { ensureTopics } from '../src/kafka/topics.ts'
import { TradeGenerator } from '../src/sim/market.ts'
import { stackUp } from '../src/stack/stack.ts'

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000000' },
    bridges: { type: 'string', default: '1' },
    symbols: { type: 'string', default: '24' },
    keep: { type: 'boolean', default: false },
    /** write a V8 CPU profile of each bridge into this directory (open in Chrome DevTools) */
    profile: { type: 'string' }
  }
})
const M = Number(values.messages)
const N = Number(values.bridges)
const id = randomBytes(3).toString('hex')
const vars: Record<string, string> = {
  TOPIC_TRADES: `bench${id}.trades`,
  TOPIC_DEPTH: `bench${id}.depth`,
  TOPIC_QUOTES: `bench${id}.quotes`,
  TOPIC_CANDLES: `bench${id}.candles`,
  TOPIC_DLQ: `bench${id}.dlq`,
  BRIDGE_GROUP_ID: `tb-bench-${id}`,
  CLICKHOUSE_DATABASE: `tb_bench_${id}`,
  LOG_PRETTY: 'false',
  STATS_INTERVAL_MS: process.env.STATS_INTERVAL_MS ?? '0'
}
const config = loadConfig({ ...process.env, ...vars })
const say = (line: string) => process.stderr.write(`${line}\n`)

function peakRssMb(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Math.round(Number(match[1]) / 1024) : NaN
  } catch {
    return NaN
  }
}

async function preload(): Promise<void> {
  const symbols = Array.from({ length: Number(values.symbols) }, (_, i) => `SYM${i}USDT`)
  const generator = new TradeGenerator({ exchange: 'bench', symbols, seed: 1 })
  const producer = createProducer(config.kafka, 'tickbridge-bench')
  const started = Date.now()
  const now = Date.now() - 3_600_000
  for (let sent = 0; sent < M;) {
    const size = Math.min(4000, M - sent)
    const messages = Array.from({ length: size }, (_, i) => {
      const { key, message } = generator.next(now + Math.floor((sent + i) / 100))
      return { topic: config.topics.trades, key, value: JSON.stringify(message) }
    })
    await producer.send({ messages })
    sent += size
    if (sent % 200_000 < 4000)
      say(`  preloaded ${sent.toLocaleString('en-US')} / ${M.toLocaleString('en-US')}`)
  }
  await producer.close()
  const seconds = (Date.now() - started) / 1000
  say(
    `preload: ${M.toLocaleString('en-US')} messages in ${seconds.toFixed(1)} s (${Math.round(M / seconds).toLocaleString('en-US')} msg/s producer)`
  )
}

async function main(): Promise<void> {
  say(
    `drain benchmark: ${M.toLocaleString('en-US')} trades, ${N} bridge(s), ${config.topics.partitions} partitions`
  )
  await stackUp(config, say)
  const admin = createAdmin(config.kafka)
  const topics = [
    config.topics.trades,
    config.topics.depth,
    config.topics.quotes,
    config.topics.candles,
    config.topics.dlq
  ]
  await ensureTopics(admin, topics, config.topics.partitions)
  const clickhouse = createClickHouse(config.clickhouse)
  const bridges: ChildProcess[] = []
  try {
    await preload()
    const started = Date.now()
    for (let ordinal = 1; ordinal <= N; ordinal++) {
      bridges.push(
        spawn(
          process.execPath,
          [...(values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : []), cliEntry, 'bridge'],
          {
            env: {
              ...process.env,
              ...vars,
              INSTANCE_ORDINAL: String(ordinal),
              INSTANCE_ID: `bench-${ordinal}`
            },
            stdio: ['ignore', process.env.STATS_INTERVAL_MS ? 'inherit' : 'ignore', 'inherit']
          }
        )
      )
    }
    let rows = 0
    const peaks = new Map<number, number>()
    let lastReport = started
    while (rows < M) {
      await sleep(200)
      for (const b of bridges) if (b.pid) peaks.set(b.pid, Math.max(peaks.get(b.pid) ?? 0, peakRssMb(b.pid)))
      const result = await clickhouse
        .query({
          query: `SELECT count() AS n FROM ${config.clickhouse.database}.trades`,
          format: 'JSONEachRow'
        })
        .then((r) => r.json<{ n: string }>())
        .catch(() => [{ n: '0' }])
      rows = Number(result[0]?.n ?? 0)
      if (Date.now() - lastReport > 5000) {
        lastReport = Date.now()
        say(`  ${rows.toLocaleString('en-US')} rows after ${((Date.now() - started) / 1000).toFixed(1)} s`)
      }
      if (Date.now() - started > 30 * 60_000) throw new Error(`gave up after 30 min at ${rows} rows`)
    }
    const seconds = (Date.now() - started) / 1000
    const result = {
      messages: M,
      bridges: N,
      seconds: Number(seconds.toFixed(2)),
      msgPerSec: Math.round(M / seconds),
      peakRssMb: bridges.map((b) => peaks.get(b.pid ?? -1) ?? NaN)
    }
    say(
      `\ndrained ${M.toLocaleString('en-US')} messages with ${N} bridge(s) in ${result.seconds} s = ${result.msgPerSec.toLocaleString('en-US')} msg/s`
    )
    bridges.forEach((b, i) => say(`  bench-${i + 1}: peak RSS ${result.peakRssMb[i]} MB`))
    console.log(JSON.stringify(result))
  } finally {
    for (const b of bridges) b.kill('SIGTERM')
    await Promise.all(
      bridges.map(
        (b) => new Promise((resolve) => (b.exitCode === null ? b.once('exit', resolve) : resolve(null)))
      )
    )
    if (!values.keep) {
      await clickhouse
        .command({ query: `DROP DATABASE IF EXISTS ${config.clickhouse.database}` })
        .catch(() => undefined)
      await admin.deleteTopics({ topics }).catch(() => undefined)
    }
    await clickhouse.close()
    await admin.close()
  }
}

await main()
