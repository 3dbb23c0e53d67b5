/**
 * The bridge's own per-message work, without Kafka or ClickHouse: canonical trades through the fast path
 * (`scanTrade`) into batches (`Batch.addTrade`: row body, offsets, candle scopes), released every 20,000 rows
 * as the worker does after an insert. Prints CPU-µs per message (median of the repetitions) and the RSS, so a
 * change to the hot path can be compared on a busy machine without a whole drain.
 *
 *   npm run bench:hotpath -- [--messages 1000000] [--reps 5] [--symbols 24]
 */
import { Batch } from '../src/bridge/batch.ts'
import { OffsetTracker } from '../src/core/offset-tracker.ts'
import { scanTrade, TradeSpans } from '../src/core/trade-fast-path.ts'
import { TradeGenerator } from '../src/sim/market.ts'
import { say } from './setup.ts'
import { benchOptions } from './options.ts'

const values = benchOptions({
  messages: { type: 'string', default: '1000000' },
  reps: { type: 'string', default: '5' },
  symbols: { type: 'string', default: '24' }
})
const messages = Number(values.messages)
const reps = Number(values.reps)
const BATCH_ROWS = 20_000
const PARTITIONS = 6

const generator = new TradeGenerator({
  exchange: 'wallex',
  symbols: Array.from({ length: Number(values.symbols) }, (_, i) => `SYM${i}USDT`),
  seed: 1
})
const now = Date.now()
const trades = Array.from({ length: 100_000 }, (_, i) =>
  Buffer.from(JSON.stringify(generator.next(now - 600_000 + i).message))
)
const tracker = new OffsetTracker()
const spans = new TradeSpans()

function run(n: number): void {
  let batch = new Batch(tracker.startBatch())
  for (let i = 0; i < n; i++) {
    const value = trades[i % trades.length] as Buffer
    // What the Kafka client hands the worker, in runs of one partition.
    const message = {
      topic: 'market.trades',
      partition: (i >> 9) % PARTITIONS,
      offset: BigInt(i),
      key: undefined,
      value
    }
    if (!scanTrade(value, now, spans)) throw new Error(`not a canonical trade: ${value.toString()}`)
    batch.addTrade(value, spans, message)
    if (batch.size >= BATCH_ROWS) {
      batch.body.buffers()
      batch.releaseRows()
      tracker.settle(batch.id)
      batch = new Batch(tracker.startBatch())
    }
  }
}

run(Math.min(messages, 300_000)) // warm-up: optimised code, grown heap
const seconds: number[] = []
for (let r = 0; r < reps; r++) {
  const start = process.cpuUsage()
  run(messages)
  const used = process.cpuUsage(start)
  seconds.push((used.user + used.system) / 1e6)
}
const perMessage = seconds.map((s) => (s * 1e6) / messages).sort((a, b) => a - b)
const median = perMessage[Math.floor(perMessage.length / 2)] as number
const rssMb = Math.round(process.memoryUsage().rss / 1048576)
say(
  `hot path: ${messages.toLocaleString('en-US')} canonical trades × ${reps}: ${median.toFixed(2)} CPU-µs/msg median ` +
    `(${perMessage.map((x) => x.toFixed(2)).join(' / ')}), RSS ${rssMb} MB`
)
console.log(JSON.stringify({ benchmark: 'hot-path', messages, reps, cpuUsPerMsg: perMessage, median, rssMb }))
