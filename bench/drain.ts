/**
 * Drain benchmark: preload M trade messages into fresh topics, start N bridge processes, and time until all
 * rows are in ClickHouse. Prints msg/s and each bridge's peak RSS. Not part of the test suite.
 *
 *   npm run bench:drain -- --messages 1000000 --bridges 1 [--profile /tmp/prof] [--keep]
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { createProducer } from '../src/kafka/clients.ts'
import { TradeGenerator } from '../src/sim/market.ts'
import { countRows, say, setUpBench, type Bench } from './setup.ts'

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

async function preload({ config }: Bench): Promise<void> {
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

const bench = await setUpBench('drain')
say(
  `drain benchmark: ${M.toLocaleString('en-US')} trades, ${N} bridge(s), ${bench.config.topics.partitions} partitions`
)
try {
  await preload(bench)
  const started = Date.now()
  const bridges = bench.startBridges(N, values.profile)
  const peaks = new Map<number, number>()
  let rows = 0
  let lastReport = started
  while (rows < M) {
    await sleep(200)
    for (const b of bridges)
      if (b.pid) peaks.set(b.pid, Math.max(peaks.get(b.pid) ?? 0, bench.peakRssMb(b.pid)))
    rows = await countRows(
      bench.clickhouse,
      `SELECT count() AS n FROM ${bench.config.clickhouse.database}.trades`
    )
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
  bridges.forEach((_, i) => say(`  drain-${i + 1}: peak RSS ${result.peakRssMb[i]} MB`))
  console.log(JSON.stringify(result))
} finally {
  await bench.cleanup(values.keep)
}
