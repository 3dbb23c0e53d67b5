/**
 * A load generator for benchmarks, run as a child process (one of several) so that producing never
 * competes with the benchmark's own event loop: canonical trades at a steady rate with recv_ts = the moment
 * each batch was built, in large batches, one send in flight (the idempotent producer's rule,
 * src/kafka/clients.ts). Kafka settings come from the environment (the benchmark's variables).
 *
 * `--client kcat` hands the records to a kcat child (librdkafka; Java's murmur2 partitioning as the project's
 * producers, idempotent, acks=all, lingering one tick) as `key<TAB>value` lines: ~2.3 CPU-µs per message here
 * and ~2.4 for building the lines, against ~9.7 for @platformatic/kafka's producer (`--client node`), and the
 * broker spends less on its larger produce requests (docs/benchmarks.md, "`bench:latency`: a load generator
 * that keeps up"). `auto` (the default) takes kcat when it is on PATH and the brokers speak PLAINTEXT.
 * A message's recv_ts is stamped when its line is built, so kcat's linger counts toward its latency.
 *
 * Protocol over IPC: the child sends {type: 'ready', client, kcatPid} once connected; the parent answers {type: 'go'};
 * the child sends {type: 'progress', sent} every 500 ms and {type: 'done', sent, seconds} at the end (with
 * kcat: once kcat has delivered everything and exited), then exits.
 *
 *   node dist/bench/load-producer.js --topic T --rate 25000 --seconds 30 --exchange bench-1 --seed 1 [--client auto|kcat|node]
 */
import { loadConfig } from '../src/config/load.ts'
import { createProducer } from '../src/kafka/clients.ts'
import { type OutgoingRecord, sendPaced, tradeRecords } from '../src/sim/kafka-load.ts'
import { TradeGenerator } from '../src/sim/market.ts'
import { chooseLoadClient, parseLoadClient, startKcat } from '../src/sim/kcat-sender.ts'
import { benchOptions } from './options.ts'

const values = benchOptions({
  topic: { type: 'string' },
  rate: { type: 'string', default: '25000' },
  seconds: { type: 'string', default: '30' },
  exchange: { type: 'string', default: 'bench' },
  symbols: { type: 'string', default: '24' },
  seed: { type: 'string', default: '1' },
  batch: { type: 'string', default: '10000' },
  'tick-ms': { type: 'string', default: '10' },
  client: { type: 'string', default: 'auto' }
})
if (!values.topic) throw new Error('--topic is required')
const topic = values.topic
const rate = Number(values.rate)
const durationMs = Number(values.seconds) * 1000
const maxBatch = Number(values.batch)
const TICK_MS = Number(values['tick-ms'])

const send = (message: object) => (process.send ? process.send(message) : undefined)
const config = loadConfig(process.env)
const client = chooseLoadClient(config.kafka, parseLoadClient(values.client))
const producer = createProducer(config.kafka, `tickbridge-load-${values.exchange}`)
const generator = new TradeGenerator({
  exchange: values.exchange,
  symbols: Array.from({ length: Number(values.symbols) }, (_, i) => `SYM${i}USDT`),
  seed: Number(values.seed)
})

await producer.metadata({ topics: [topic] })
const kcat = client === 'kcat' ? startKcat(config.kafka, topic, TICK_MS) : null
if (kcat) await producer.close()
const go = new Promise<void>((resolve) =>
  process.on('message', (m: { type?: string }) => m?.type === 'go' && resolve())
)
send({ type: 'ready', client, kcatPid: kcat?.pid })
if (process.send) await go
const stop = new AbortController()
process.once('SIGTERM', () => stop.abort())

let sent = 0
const progress = setInterval(() => send({ type: 'progress', sent }), 500)
const started = performance.now()
const deliver = kcat ? kcat.send : (messages: OutgoingRecord[]) => producer.send({ messages })
const result = await sendPaced(deliver, tradeRecords(generator, topic), {
  rate,
  durationMs,
  maxBatch,
  tickMs: TICK_MS,
  signal: stop.signal,
  onSent: (total) => (sent = total)
})
clearInterval(progress)
if (kcat) await kcat.close()
else await producer.close()
// With kcat, until it has delivered every record (it lingers and batches after the last line it took).
send({
  type: 'done',
  sent: result.sent,
  seconds: kcat ? (performance.now() - started) / 1000 : result.seconds
})
process.disconnect?.()
