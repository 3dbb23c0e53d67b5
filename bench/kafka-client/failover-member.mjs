// One consumer-group member for the failover test. Prints JSON lines on stdout:
//   {ev:'ready'}                       subscribed / run() started
//   {ev:'assign', partitions:[...]}    when the client reports an assignment (if it exposes one)
//   {ev:'part', p, t}                  first message from partition p after >= GAP ms without one (t = Date.now())
//   {ev:'tick', t, parts:[...]}        every 500 ms: partitions consumed from in the last window
// usage: node failover-member.mjs --client platformatic|confluent --topic T --group G --id A
//        [--session 6000] [--heartbeat 1000] [--protocol classic|consumer] [--static]
import { createRequire } from 'node:module'
import { BROKER, args, emit, guard } from './common.mjs'

const a = args()
const { client, topic, group, id } = a
const SESSION = Number(a.session ?? 6000)
const HEARTBEAT = Number(a.heartbeat ?? 1000)
const PROTOCOL = a.protocol ?? 'classic'
const GAP = 1500
guard(Number(a.timeout ?? 180_000), `member ${id}`)

const last = new Map()
let windowParts = new Set()
function seen (p) {
  const now = Date.now()
  const prev = last.get(p)
  if (prev === undefined || now - prev >= GAP) emit({ ev: 'part', id, p, t: now })
  last.set(p, now)
  windowParts.add(p)
}
setInterval(() => {
  emit({ ev: 'tick', id, t: Date.now(), parts: [...windowParts].sort() })
  windowParts = new Set()
}, 500)

if (client === 'platformatic') {
  const { Consumer, stringDeserializers } = await import('@platformatic/kafka')
  const groupOpts = PROTOCOL === 'consumer'
    ? { groupProtocol: 'consumer' } // KIP-848: session/heartbeat are broker-side settings
    : { sessionTimeout: SESSION, heartbeatInterval: HEARTBEAT, rebalanceTimeout: SESSION }
  const consumer = new Consumer({
    groupId: group,
    clientId: `failover-${id}`,
    bootstrapBrokers: [BROKER],
    deserializers: stringDeserializers,
    maxWaitTime: 200,
    ...(a.static ? { groupInstanceId: `failover-${id}` } : {}),
    ...groupOpts
  })
  consumer.on('consumer:group:join', ev => emit({ ev: 'assign', id, t: Date.now(), partitions: (ev.assignments ?? []).flatMap(x => x.partitions).sort() }))
  consumer.on('consumer:group:rebalance', () => emit({ ev: 'rebalance', id, t: Date.now() }))
  const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'latest', autocommit: 500 })
  stream.on('error', e => emit({ ev: 'error', id, msg: String(e) }))
  stream.on('data', m => { JSON.parse(m.value); seen(m.partition) })
  emit({ ev: 'ready', id })
} else {
  const require = createRequire(import.meta.url)
  const { Kafka } = require('@confluentinc/kafka-javascript').KafkaJS
  const kafka = new Kafka({ kafkaJS: { brokers: [BROKER], clientId: `failover-${id}`, logLevel: 1 } })
  const kjs = PROTOCOL === 'consumer'
    ? { groupId: group, fromBeginning: false, autoCommit: true, autoCommitInterval: 500 }
    : { groupId: group, fromBeginning: false, autoCommit: true, autoCommitInterval: 500, sessionTimeout: SESSION, heartbeatInterval: HEARTBEAT }
  const consumer = kafka.consumer({
    kafkaJS: kjs,
    ...(PROTOCOL === 'consumer' ? { 'group.protocol': 'consumer' } : {}),
    ...(a.static ? { 'group.instance.id': `failover-${id}` } : {}),
    'fetch.wait.max.ms': 200,
    rebalance_cb: (err, assignment) => {
      emit({ ev: err.code === -175 ? 'assign' : 'revoke', id, t: Date.now(), partitions: assignment.map(x => x.partition).sort() })
    }
  })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic] })
  consumer.run({ eachMessage: async ({ partition, message }) => { JSON.parse(message.value); seen(partition) } })
    .catch(e => emit({ ev: 'error', id, msg: String(e) }))
  emit({ ev: 'ready', id })
}
