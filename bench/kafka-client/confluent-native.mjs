// Supplementary: @confluentinc/kafka-javascript's callback (node-rdkafka style) API, to see how much of the
// KafkaJS-compat layer's cost is avoidable. Same messages/settings as produce.mjs / consume.mjs.
// usage: node confluent-native.mjs --mode produce|consume --topic T [--count 1000000] [--group G]
import { createRequire } from 'node:module'
import { BROKER, makeMessage, args, emit, peakRssMB, guard } from './common.mjs'

const a = args()
const N = Number(a.count ?? 1_000_000)
const topic = a.topic
guard(Number(a.timeout ?? 300_000), 'confluent-native')
const Kafka = createRequire(import.meta.url)('@confluentinc/kafka-javascript')

if (a.mode === 'produce') {
  const p = new Kafka.Producer({
    'bootstrap.servers': BROKER, 'client.id': 'bench-native', 'enable.idempotence': true, acks: 'all',
    'linger.ms': 10, 'batch.size': 1_000_000, 'batch.num.messages': 10_000, 'queue.buffering.max.messages': 200_000,
    partitioner: 'murmur2_random', dr_cb: true
  })
  await new Promise((resolve, reject) => { p.once('ready', resolve); p.once('event.error', reject); p.connect() })
  p.setPollInterval(20)
  let acked = 0; let failed = 0; let i = 0
  const t0 = performance.now()
  await new Promise(resolve => {
    p.on('delivery-report', err => { if (err) failed++; else acked++; if (acked + failed >= N) resolve() })
    const pump = () => {
      while (i < N) {
        const m = makeMessage(i)
        try { p.produce(topic, null, Buffer.from(m.value), m.key) } catch (e) {
          if (e.code === Kafka.CODES.ERRORS.ERR__QUEUE_FULL) { setTimeout(pump, 5); return }
          throw e
        }
        i++
        if ((i & 1023) === 0) { setImmediate(pump); return } // let delivery reports run
      }
    }
    pump()
  })
  const secs = (performance.now() - t0) / 1000
  await new Promise(resolve => p.disconnect(resolve))
  emit({ test: 'produce', client: 'confluent-native', topic, count: N, failed, secs: +secs.toFixed(3), msgPerSec: Math.round(acked / secs), peakRssMB: peakRssMB() })
} else {
  const c = new Kafka.KafkaConsumer({
    'bootstrap.servers': BROKER, 'group.id': a.group ?? `kb-native-${process.pid}`, 'enable.auto.commit': true,
    'auto.commit.interval.ms': 5000, 'session.timeout.ms': 10_000, 'heartbeat.interval.ms': 1000
  }, { 'auto.offset.reset': 'earliest' })
  await new Promise((resolve, reject) => { c.once('ready', resolve); c.once('event.error', reject); c.connect() })
  c.subscribe([topic])
  let count = 0; let tFirst = 0; let tN = 0; let sink = 0
  const t0 = performance.now()
  await new Promise((resolve, reject) => {
    const loop = () => c.consume(1000, (err, msgs) => {
      if (err) return reject(err)
      for (const m of msgs) {
        sink += JSON.parse(m.value).v
        if (count === 0) tFirst = performance.now()
        if (++count === N) tN = performance.now()
      }
      if (count >= N) resolve(); else setImmediate(loop)
    })
    loop()
  })
  await new Promise(resolve => c.disconnect(resolve))
  emit({ test: 'consume', client: 'confluent-native', api: 'consume(1000)', topic, count: N, secsFirstToLast: +((tN - tFirst) / 1000).toFixed(3), msgPerSec: Math.round((N - 1) / ((tN - tFirst) / 1000)), secsIncludingJoin: +((tN - t0) / 1000).toFixed(3), peakRssMB: peakRssMB(), sink })
}
process.exit(0)
