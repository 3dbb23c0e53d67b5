/**
 * A feed through a Kafka outage: a FeedPublisher whose broker does not answer receives `--messages`
 * trades (as fast as it can take them) with `--memory` kept in memory and the rest spooled to disk; then a
 * publisher on the real broker opens the same spool and produces all of it. Prints how fast the overflow
 * was written, the heap it took, the spool's size, and the catch-up rate. Rounds: `--rounds` (median).
 *
 *   npm run bench:spool -- --messages 500000 --memory 100000 --rounds 3
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { createProducer } from '../src/kafka/clients.ts'
import { FeedPublisher } from '../src/feed/publisher.ts'
import { DiskSpool } from '../src/feed/spool.ts'
import { TradeGenerator } from '../src/sim/market.ts'
import { say, setUpBench } from './setup.ts'
import { benchOptions } from './options.ts'

const values = benchOptions({
  messages: { type: 'string', default: '500000' },
  memory: { type: 'string', default: '100000' },
  rounds: { type: 'string', default: '3' }
})
const total = Number(values.messages)
const memoryMax = Number(values.memory)
const rounds = Number(values.rounds)
const log = pino({ level: 'silent' })
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** A port that accepts nothing: Kafka "away". */
async function deadPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

const bench = await setUpBench('spool')
const spoolRates: number[] = []
const catchUpRates: number[] = []
try {
  for (let round = 1; round <= rounds; round++) {
    const dir = mkdtempSync(join(tmpdir(), 'tb-bench-spool-'))
    const options = { segmentMessages: Math.max(1000, Math.floor(memoryMax / 2)), maxBytes: 16 * 2 ** 30 }
    const generator = new TradeGenerator({
      exchange: 'sim',
      symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'],
      seed: round
    })
    const away = createProducer(
      { ...bench.config.kafka, brokers: [`127.0.0.1:${await deadPort()}`] },
      'bench'
    )
    const outage = new FeedPublisher(away, bench.config.topics, 'bench-feed', log, {
      spool: DiskSpool.open(dir, options),
      memoryMax
    })
    const heapBefore = process.memoryUsage().heapUsed
    const started = performance.now()
    const base = Date.now()
    for (let i = 0; i < total; i++) outage.message(generator.next(base + i).message)
    outage.close() // writes what is still in memory in front of the overflow
    const spoolSeconds = (performance.now() - started) / 1000
    const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20
    await away.close().catch(() => undefined)
    const spool = DiskSpool.open(dir, options)
    const spoolMb = spool.bytes / 2 ** 20

    const producer = createProducer(bench.config.kafka, 'bench-catch-up')
    const catchUpStarted = performance.now()
    const back = new FeedPublisher(producer, bench.config.topics, 'bench-feed', log, { spool, memoryMax })
    const unsent = await back.flush(10 * 60_000)
    const catchUpSeconds = (performance.now() - catchUpStarted) / 1000
    back.close()
    await producer.close()
    rmSync(dir, { recursive: true, force: true })
    if (unsent !== 0) throw new Error(`${unsent} messages were not produced`)
    spoolRates.push(total / spoolSeconds)
    catchUpRates.push(total / catchUpSeconds)
    say(
      `round ${round}: ${total.toLocaleString('en-US')} messages during the outage at ${Math.round(total / spoolSeconds).toLocaleString('en-US')} msg/s ` +
        `(heap +${heapMb.toFixed(0)} MB, spool ${spoolMb.toFixed(0)} MB); caught up at ${Math.round(total / catchUpSeconds).toLocaleString('en-US')} msg/s`
    )
  }
  console.log(
    JSON.stringify({
      messages: total,
      memoryMax,
      outageMessagesPerSecondMedian: Math.round(median(spoolRates)),
      catchUpMessagesPerSecondMedian: Math.round(median(catchUpRates))
    })
  )
} finally {
  await bench.cleanup(false)
}
