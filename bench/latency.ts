/**
 * Latency benchmark: trades are produced at a steady rate (default 50,000 msg/s) with recv_ts = the moment
 * they were built; 50 times a second one of them is a probe. A poller asks ClickHouse every 10 ms which
 * probes are visible, so each probe's latency is (first seen queryable) - recv_ts. Prints p50/p90/p99/max.
 *
 *   npm run bench:latency -- --rate 50000 --seconds 30 --bridges 1
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { messageKey, type TradeMessage } from '../src/core/messages.ts'
import { createAdmin, createProducer } from '../src/kafka/clients.ts'
import { describeGroupAssignment } from '../src/kafka/group.ts'
import { TradeGenerator } from '../src/sim/market.ts'
import { countRows, percentile, say, setUpBench } from './setup.ts'

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '50000' },
    seconds: { type: 'string', default: '30' },
    bridges: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false }
  }
})
const rate = Number(values.rate)
const seconds = Number(values.seconds)
const N = Number(values.bridges)
const TICK_MS = 20

const bench = await setUpBench('latency')
const db = bench.config.clickhouse.database
try {
  bench.startBridges(N)
  const admin = createAdmin(bench.config.kafka)
  for (let i = 0; i < 120; i++) {
    const group = await describeGroupAssignment(admin, bench.config.bridge.groupId).catch(() => null)
    if (group && group.members.length === N && group.members.every((m) => m.partitions.length > 0)) break
    await sleep(500)
  }
  await admin.close()
  say(`latency benchmark: ${rate.toLocaleString('en-US')} msg/s for ${seconds} s into ${N} bridge(s)`)

  const probes = new Map<string, number>() // id -> recv_ts, until seen
  const latencies: number[] = []
  let running = true
  const poller = (async () => {
    while (running || probes.size > 0) {
      if (probes.size > 0) {
        const ids = [...probes.keys()].map((id) => `'${id}'`).join(',')
        const seen = await bench.clickhouse
          .query({
            query: `SELECT id FROM ${db}.trades WHERE exchange = 'probe' AND id IN (${ids})`,
            format: 'JSONEachRow'
          })
          .then((r) => r.json<{ id: string }>())
          .catch(() => [])
        const now = Date.now()
        for (const { id } of seen) {
          const recvTs = probes.get(id)
          if (recvTs !== undefined) latencies.push(now - recvTs)
          probes.delete(id)
        }
      }
      await sleep(10)
    }
  })()

  const generator = new TradeGenerator({
    exchange: 'bench',
    symbols: Array.from({ length: 24 }, (_, i) => `SYM${i}USDT`),
    seed: 2
  })
  const producer = createProducer(bench.config.kafka, 'tickbridge-latency')
  const started = Date.now()
  let sent = 0
  let probeId = 0
  while (Date.now() - started < seconds * 1000) {
    const due = Math.floor(((Date.now() - started) / 1000) * rate) - sent
    if (due <= 0) {
      await sleep(2)
      continue
    }
    const now = Date.now()
    const messages = Array.from({ length: Math.min(due, 5000) }, () => {
      const { key, message } = generator.next(now)
      return { topic: bench.config.topics.trades, key, value: JSON.stringify(message) }
    })
    const probe: TradeMessage = {
      v: 1,
      type: 'trade',
      exchange: 'probe',
      symbol: `P${probeId % 6}`,
      id: String(++probeId),
      price: '1.0',
      amount: '1',
      side: 'buy',
      ts: now,
      recv_ts: now
    }
    messages.push({ topic: bench.config.topics.trades, key: messageKey(probe), value: JSON.stringify(probe) })
    await producer.send({ messages })
    probes.set(probe.id, probe.recv_ts)
    sent += messages.length
    const spare = TICK_MS - (Date.now() - now)
    if (spare > 0) await sleep(spare)
  }
  const producedSeconds = (Date.now() - started) / 1000
  await producer.close()
  running = false
  const deadline = Date.now() + 60_000
  while (probes.size > 0 && Date.now() < deadline) await sleep(50)
  await poller
  const rows = await countRows(bench.clickhouse, `SELECT count() AS n FROM ${db}.trades`)
  latencies.sort((a, b) => a - b)
  const result = {
    targetRate: rate,
    producedRate: Math.round(sent / producedSeconds),
    bridges: N,
    probes: latencies.length,
    lostProbes: probes.size,
    p50Ms: percentile(latencies, 50),
    p90Ms: percentile(latencies, 90),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1) ?? NaN,
    rows
  }
  say(
    `\nproduced ${sent.toLocaleString('en-US')} trades at ${result.producedRate.toLocaleString('en-US')} msg/s; ` +
      `recv_ts -> queryable over ${result.probes} probes: p50 ${result.p50Ms} ms, p90 ${result.p90Ms} ms, p99 ${result.p99Ms} ms, max ${result.maxMs} ms`
  )
  console.log(JSON.stringify(result))
} finally {
  await bench.cleanup(values.keep)
}
