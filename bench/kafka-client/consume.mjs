// Consumer throughput: one group member reads N messages from earliest, JSON.parse each value.
// usage: node consume.mjs --client platformatic|confluent --topic T --group G [--count 1000000] [--api message|batch]
import { createRequire } from 'node:module'
import { BROKER, args, emit, peakRssMB, guard } from './common.mjs'

const a = args()
const client = a.client
const topic = a.topic
const group = a.group ?? `kb-cons-${process.pid}-${Date.now()}`
const N = Number(a.count ?? 1_000_000)
const api = a.api ?? 'message'
if (!client || !topic) throw new Error('--client and --topic are required')
guard(Number(a.timeout ?? 300_000), 'consume')

const tStart = performance.now()
let tFirst = 0
let count = 0
let tN = 0
let sink = 0 // keep JSON.parse results observable so it is not optimised away

function handle (buf) {
  const o = JSON.parse(buf)
  sink += o.v
  if (count === 0) tFirst = performance.now()
  count++
  if (count === N) tN = performance.now()
}

async function platformatic () {
  const { Consumer, stringDeserializers } = await import('@platformatic/kafka')
  const consumer = new Consumer({
    groupId: group,
    clientId: 'bench-consumer',
    bootstrapBrokers: [BROKER],
    deserializers: stringDeserializers,
    maxWaitTime: 500,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000
  })
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: 5000 })
  await new Promise((resolve, reject) => {
    stream.on('error', reject)
    stream.on('data', m => {
      handle(m.value)
      if (count >= N) resolve()
    })
  })
  const tEnd = performance.now()
  await stream.close()
  await consumer.close(true)
  return tEnd
}

async function confluent () {
  const require = createRequire(import.meta.url)
  const { Kafka } = require('@confluentinc/kafka-javascript').KafkaJS
  const kafka = new Kafka({ kafkaJS: { brokers: [BROKER], clientId: 'bench-consumer', logLevel: 1 } })
  const extra = api === 'batch' ? { 'js.consumer.max.batch.size': Number(a.maxbatch ?? 1000) } : {}
  if (a.rdkafka) Object.assign(extra, JSON.parse(a.rdkafka)) // e.g. --rdkafka '{"queued.max.messages.kbytes":16384}'
  const consumer = kafka.consumer({
    kafkaJS: { groupId: group, fromBeginning: true, autoCommit: true, autoCommitInterval: 5000, sessionTimeout: 10_000, heartbeatInterval: 1000 },
    ...extra
  })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic] })
  let tEnd = 0
  await new Promise((resolve, reject) => {
    const done = () => { if (!tEnd) { tEnd = performance.now(); resolve() } }
    const run = api === 'batch'
      ? {
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) handle(m.value)
            if (count >= N) done()
          }
        }
      : {
          eachMessage: async ({ message }) => {
            handle(message.value)
            if (count >= N) done()
          }
        }
    consumer.run(run).catch(reject)
  })
  await consumer.disconnect()
  return tEnd
}

const tEnd = client === 'platformatic' ? await platformatic() : await confluent()
const secs = (tN - tFirst) / 1000 // first message -> N-th message
emit({
  test: 'consume', client, api: client === 'platformatic' ? 'stream' : api, topic, count: N, delivered: count,
  secsFirstToLast: +secs.toFixed(3), msgPerSec: Math.round((N - 1) / secs),
  secsIncludingJoin: +((tEnd - tStart) / 1000).toFixed(3), peakRssMB: peakRssMB(), sink,
  ...(a.rdkafka ? { rdkafka: JSON.parse(a.rdkafka) } : {}), ...(a.hwm ? { highWaterMark: Number(a.hwm) } : {})
})
process.exit(0)
