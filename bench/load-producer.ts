/**
 * A load generator for benchmarks, run as a child process (one of several) so that producing never
 * competes with the benchmark's own event loop: canonical trades at a steady rate with recv_ts = the moment
 * each batch was built, in large batches, one send in flight (the idempotent producer's rule,
 * src/kafka/clients.ts). Kafka settings come from the environment (the benchmark's variables).
 *
 * Protocol over IPC: the child sends {type: 'ready'} once connected; the parent answers {type: 'go'}; the
 * child sends {type: 'progress', sent} every 500 ms and {type: 'done', sent, seconds} at the end, then exits.
 *
 *   node dist/bench/load-producer.js --topic T --rate 25000 --seconds 30 --exchange bench-1 --seed 1
 */
import { loadConfig } from '../src/config/load.ts'
import { createProducer } from '../src/kafka/clients.ts'
import { sendPaced, tradeRecords } from '../src/sim/kafka-load.ts'
import { TradeGenerator } from '../src/sim/market.ts'
import { benchOptions } from './options.ts'

const values = benchOptions({
  topic: { type: 'string' },
  rate: { type: 'string', default: '25000' },
  seconds: { type: 'string', default: '30' },
  exchange: { type: 'string', default: 'bench' },
  symbols: { type: 'string', default: '24' },
  seed: { type: 'string', default: '1' },
  batch: { type: 'string', default: '10000' },
  'tick-ms': { type: 'string', default: '10' }
})
if (!values.topic) throw new Error('--topic is required')
const topic = values.topic
const rate = Number(values.rate)
const durationMs = Number(values.seconds) * 1000
const maxBatch = Number(values.batch)
const TICK_MS = Number(values['tick-ms'])

const send = (message: object) => (process.send ? process.send(message) : undefined)
const config = loadConfig(process.env)
const producer = createProducer(config.kafka, `tickbridge-load-${values.exchange}`)
const generator = new TradeGenerator({
  exchange: values.exchange,
  symbols: Array.from({ length: Number(values.symbols) }, (_, i) => `SYM${i}USDT`),
  seed: Number(values.seed)
})

await producer.metadata({ topics: [topic] })
const go = new Promise<void>((resolve) =>
  process.on('message', (m: { type?: string }) => m?.type === 'go' && resolve())
)
send({ type: 'ready' })
if (process.send) await go
const stop = new AbortController()
process.once('SIGTERM', () => stop.abort())

let sent = 0
const progress = setInterval(() => send({ type: 'progress', sent }), 500)
const result = await sendPaced((messages) => producer.send({ messages }), tradeRecords(generator, topic), {
  rate,
  durationMs,
  maxBatch,
  tickMs: TICK_MS,
  signal: stop.signal,
  onSent: (total) => (sent = total)
})
clearInterval(progress)
await producer.close()
send({ type: 'done', sent: result.sent, seconds: result.seconds })
process.disconnect?.()
