// Producer throughput: N small JSON trade messages, acks=all + idempotent.
// usage: node produce.mjs --client platformatic|confluent --topic T [--count 1000000]
//        platformatic: [--batch 2000] [--inflight 8]   confluent: [--linger 5] [--window 100000]
import { createRequire } from 'node:module'
import { BROKER, makeMessage, args, emit, peakRssMB, guard } from './common.mjs'

const a = args()
const client = a.client
const topic = a.topic
const N = Number(a.count ?? 1_000_000)
if (!client || !topic) throw new Error('--client and --topic are required')
guard(Number(a.timeout ?? 300_000), 'produce')

async function platformatic () {
  const { Producer, stringSerializers, compatibilityPartitioner } = await import('@platformatic/kafka')
  const B = Number(a.batch ?? 2000) // messages per send() = one Produce request
  // MUST stay 1 with idempotent: true in 1.35.0 — concurrent send() calls reuse the same
  // sequence numbers and the broker silently drops the later batches as duplicates (measured).
  const INFLIGHT = Number(a.inflight ?? 1)
  const producer = new Producer({
    clientId: 'bench-producer',
    bootstrapBrokers: [BROKER],
    serializers: stringSerializers,
    idempotent: true, // forces acks=ALL (-1) and maxInflights=1 per connection
    acks: -1,
    partitioner: compatibilityPartitioner // Java-compatible murmur2 (default differs)
  })
  // warm-up: metadata + InitProducerId, not timed
  await producer.send({ messages: [{ topic, ...makeMessage(0) }] })
  let next = 1
  let acked = 1
  const t0 = performance.now()
  await new Promise((resolve, reject) => {
    let outstanding = 0
    const pump = () => {
      while (outstanding < INFLIGHT && next < N) {
        const end = Math.min(N, next + B)
        const messages = new Array(end - next)
        for (let i = next; i < end; i++) messages[i - next] = { topic, ...makeMessage(i) }
        next = end
        outstanding++
        producer.send({ messages }).then(() => {
          outstanding--
          acked += messages.length
          if (acked >= N) resolve()
          else pump()
        }, reject)
      }
    }
    pump()
  })
  const secs = (performance.now() - t0) / 1000
  await producer.close()
  return { secs, acked, settings: { batch: B, inflight: INFLIGHT, idempotent: true, acks: 'all' } }
}

async function confluent () {
  const require = createRequire(import.meta.url)
  const { Kafka } = require('@confluentinc/kafka-javascript').KafkaJS
  const LINGER = Number(a.linger ?? 10)
  const WINDOW = Number(a.window ?? 100_000) // max un-acked messages in flight from JS
  const SEND = Number(a.batch ?? 5000) // messages per send() call (librdkafka batches internally anyway)
  const kafka = new Kafka({ kafkaJS: { brokers: [BROKER], clientId: 'bench-producer', logLevel: 1 } })
  const producer = kafka.producer({
    kafkaJS: { idempotent: true, acks: -1 },
    'linger.ms': LINGER,
    'batch.size': 1_000_000,
    'batch.num.messages': 10_000,
    'queue.buffering.max.messages': Math.max(200_000, WINDOW * 2),
    partitioner: 'murmur2_random' // Java-compatible
  })
  await producer.connect()
  await producer.send({ topic, messages: [makeMessage(0)] })
  let next = 1
  let acked = 1
  const t0 = performance.now()
  await new Promise((resolve, reject) => {
    let outstanding = 0
    const pump = () => {
      while (outstanding < WINDOW && next < N) {
        const end = Math.min(N, next + SEND)
        const messages = new Array(end - next)
        for (let i = next; i < end; i++) messages[i - next] = makeMessage(i)
        next = end
        outstanding += messages.length
        producer.send({ topic, messages }).then(() => {
          outstanding -= messages.length
          acked += messages.length
          if (acked >= N) resolve()
          else pump()
        }, reject)
      }
    }
    pump()
  })
  const secs = (performance.now() - t0) / 1000
  await producer.disconnect()
  return { secs, acked, settings: { linger_ms: LINGER, send_batch: SEND, window: WINDOW, idempotent: true, acks: 'all' } }
}

const r = client === 'platformatic' ? await platformatic() : await confluent()
emit({ test: 'produce', client, topic, count: N, secs: +r.secs.toFixed(3), msgPerSec: Math.round((r.acked - 1) / r.secs), peakRssMB: peakRssMB(), settings: r.settings })
process.exit(0)
