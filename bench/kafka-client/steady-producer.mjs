// Steady background producer for the failover test: ~RATE msg/s in 20 ms ticks, bounded by --duration seconds.
// usage: node steady-producer.mjs --client platformatic|confluent --topic T [--rate 1000] [--duration 120]
import { createRequire } from 'node:module'
import { BROKER, makeMessage, args } from './common.mjs'

const a = args()
const RATE = Number(a.rate ?? 1000)
const DURATION = Number(a.duration ?? 120) * 1000
const PER_TICK = Math.max(1, Math.round(RATE / 50))
let i = 0
let send
let close
if (a.client === 'platformatic') {
  const { Producer, stringSerializers, compatibilityPartitioner } = await import('@platformatic/kafka')
  const p = new Producer({ clientId: 'steady', bootstrapBrokers: [BROKER], serializers: stringSerializers, idempotent: true, partitioner: compatibilityPartitioner })
  let busy = false // one send() at a time (see produce.mjs)
  send = async msgs => { if (busy) return; busy = true; try { await p.send({ messages: msgs.map(m => ({ topic: a.topic, ...m })) }) } finally { busy = false } }
  close = () => p.close(true)
} else {
  const { Kafka } = createRequire(import.meta.url)('@confluentinc/kafka-javascript').KafkaJS
  const p = new Kafka({ kafkaJS: { brokers: [BROKER], clientId: 'steady', logLevel: 1 } }).producer({ kafkaJS: { idempotent: true }, 'linger.ms': 5 })
  await p.connect()
  send = msgs => p.send({ topic: a.topic, messages: msgs })
  close = () => p.disconnect()
}
const timer = setInterval(() => {
  const msgs = []
  for (let k = 0; k < PER_TICK; k++) msgs.push(makeMessage(i++))
  send(msgs).catch(e => process.stderr.write(`steady producer: ${e}\n`))
}, 20)
const stop = async () => { clearInterval(timer); try { await close() } catch {} process.exit(0) }
setTimeout(stop, DURATION)
process.on('SIGTERM', stop)
