import { setTimeout as sleep } from 'node:timers/promises'
import type { Config } from '../../src/config/types.ts'
import type { DepthMessage, TradeMessage } from '../../src/core/messages.ts'
import { createProducer, type StringProducer } from '../../src/kafka/clients.ts'
import { defaultSymbols } from '../../src/ops/pipeline.ts'
import { seededRandom, TradeGenerator } from '../../src/sim/market.ts'
import { BASE_TS, explain } from '../helpers/stack.ts'

/**
 * The load of a fault scenario: canonical trades produced to Kafka at a steady rate, every one unique
 * (sequential ids per symbol, exchange time BASE_TS + n ms) and deterministic for a seed, so the exact number
 * of rows ClickHouse must end up with is known; every `depthEvery`-th trade also a depth snapshot of its
 * symbol (unique: its own ts). Optionally more messages are interleaved into every slice (the malformed flood).
 *
 * A message counts as produced only once Kafka acknowledged it. A failed send (Kafka killed) is retried with
 * a new producer until it is acknowledged, so what was generated is what Kafka has, possibly twice (a send
 * that failed after the broker wrote it): the tables' identity absorbs that. After an outage the producer does
 * not burst to catch up: it goes on at its rate.
 */
export interface ProducedCounts {
  trades: number
  depth: number
  malformed: number
  /** Malformed messages bigger than the DLQ topic's max.message.bytes. */
  oversized: number
}

export interface Extra {
  topic: string
  key?: string
  value: string
  kind: 'malformed' | 'oversized'
}

const SLICES_PER_SECOND = 10

export class SteadyProducer {
  readonly counts: ProducedCounts = { trades: 0, depth: 0, malformed: 0, oversized: 0 }
  /** Failed sends (each retried with a new producer). */
  failures = 0
  lastError: string | null = null
  /** Called once per slice: more messages to send with it (stops being called when it returns null). */
  extra: ((slice: number) => Extra[] | null) | null = null
  readonly #config: Config
  readonly #rate: number
  readonly #depthEvery: number
  readonly #trades: TradeGenerator
  #n = 0
  #producer: StringProducer
  #stopping = false
  #loop: Promise<void> | null = null

  constructor(config: Config, options: { rate: number; seed: number; depthEvery?: number }) {
    this.#config = config
    this.#rate = options.rate
    this.#depthEvery = options.depthEvery ?? 100
    this.#trades = new TradeGenerator({ exchange: 'sim', symbols: defaultSymbols, seed: options.seed })
    this.#producer = createProducer(config.kafka, 'tickbridge-faults-load')
  }

  start(): this {
    this.#loop ??= this.#run()
    return this
  }

  /** Stops after the slice in flight is acknowledged (which may wait for Kafka to come back). */
  async stop(timeoutMs = 180_000): Promise<ProducedCounts> {
    this.#stopping = true
    if (this.#loop) {
      const done = await Promise.race([
        this.#loop.then(() => true),
        sleep(timeoutMs, undefined, { ref: false }).then(() => false)
      ])
      if (!done)
        throw new Error(
          `the load producer could not deliver its last slice within ${timeoutMs / 1000} s: ${this.lastError}`
        )
    }
    await closeQuietly(this.#producer)
    return { ...this.counts }
  }

  async #run(): Promise<void> {
    const sliceMs = 1000 / SLICES_PER_SECOND
    const perSlice = Math.max(1, Math.round(this.#rate / SLICES_PER_SECOND))
    let slice = 0
    while (!this.#stopping) {
      const started = Date.now()
      const batch = this.#slice(perSlice, slice)
      const extra = this.extra?.(slice) ?? null
      if (extra === null) this.extra = null
      await this.#deliver([...batch.messages, ...(extra ?? [])])
      this.counts.trades += batch.trades
      this.counts.depth += batch.depth
      for (const m of extra ?? []) {
        this.counts.malformed++
        if (m.kind === 'oversized') this.counts.oversized++
      }
      slice++
      await sleep(Math.max(0, sliceMs - (Date.now() - started)))
    }
  }

  #slice(count: number, _slice: number) {
    const messages: { topic: string; key: string; value: string }[] = []
    let depth = 0
    for (let i = 0; i < count; i++) {
      const ts = BASE_TS + this.#n++
      const { key, message } = this.#trades.next(ts)
      messages.push({ topic: this.#config.topics.trades, key, value: JSON.stringify(message) })
      if (this.#n % this.#depthEvery === 0) {
        messages.push({ topic: this.#config.topics.depth, key, value: JSON.stringify(depthFor(message)) })
        depth++
      }
    }
    return { messages, trades: count, depth }
  }

  /** Sends until acknowledged; after a failure the producer is replaced (a broker restart can wedge it). */
  async #deliver(messages: { topic: string; key?: string; value: string }[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#producer.send({ messages })
        return
      } catch (error) {
        this.failures++
        this.lastError = explain(error)
        await closeQuietly(this.#producer)
        await sleep(Math.min(2_000, 250 * 2 ** Math.min(attempt, 3)))
        this.#producer = createProducer(this.#config.kafka, 'tickbridge-faults-load')
      }
    }
  }
}

async function closeQuietly(producer: StringProducer): Promise<void> {
  await Promise.race([producer.close().catch(() => undefined), sleep(3_000, undefined, { ref: false })])
}

/** A depth snapshot of the trade's symbol at the trade's exchange time (a unique depth identity). */
export function depthFor(trade: TradeMessage): DepthMessage {
  const price = trade.price
  return {
    v: 1,
    type: 'depth',
    exchange: trade.exchange,
    symbol: trade.symbol,
    ts: trade.ts,
    bids: [
      [price, '0.5'],
      ['1.25', '3']
    ],
    asks: [[price, '0.25']],
    recv_ts: trade.recv_ts
  }
}

/**
 * `total` malformed messages of mixed kinds and sizes, deterministic for a seed, `perSlice` at a time: not
 * JSON, an unknown type, a trade without a price, a bad decimal, a timestamp two days ahead, version 2, an
 * empty value, medium and large junk (up to 32 KB), and one in every `oversizedEvery` bigger than
 * `oversizedBytes` (above the DLQ topic's limit: its letter must be truncated). Keyed like valid messages, so
 * they share partitions with the trades they are interleaved with.
 */
export function malformedFlood(
  config: Config,
  options: { total: number; perSlice: number; seed: number; oversizedEvery: number; oversizedBytes: number }
): (slice: number) => Extra[] | null {
  const random = seededRandom(options.seed)
  let made = 0
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T
  const junk = (bytes: number) => {
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789 {}[]",:é€\\'
    let text = ''
    while (text.length < bytes) text += alphabet[Math.floor(random() * alphabet.length)]
    return text
  }
  return () => {
    if (made >= options.total) return null
    const out: Extra[] = []
    for (let i = 0; i < options.perSlice && made < options.total; i++, made++) {
      const symbol = pick(defaultSymbols)
      const key = `sim:${symbol}`
      const topic = made % 10 === 9 ? config.topics.depth : config.topics.trades
      if (made % options.oversizedEvery === options.oversizedEvery - 1) {
        const bytes = options.oversizedBytes + Math.floor(random() * options.oversizedBytes)
        out.push({ topic, key, value: `{"v":1,"type":"trade","blob":"${junk(bytes)}"`, kind: 'oversized' })
        continue
      }
      const r = random()
      const base = { v: 1, type: 'trade', exchange: 'sim', symbol, id: `bad-${made}`, side: 'buy' }
      const ts = BASE_TS + made
      let value: string
      if (r < 0.2) value = `not json ${made} ${junk(Math.floor(random() * 200))}`
      else if (r < 0.35)
        value = JSON.stringify({ ...base, type: 'tick', price: '1', amount: '1', ts, recv_ts: ts })
      else if (r < 0.5) value = JSON.stringify({ ...base, amount: '1', ts, recv_ts: ts })
      else if (r < 0.6) value = JSON.stringify({ ...base, price: '12,5', amount: '1', ts, recv_ts: ts })
      else if (r < 0.7) {
        const future = Date.now() + 2 * 86_400_000
        value = JSON.stringify({ ...base, price: '1', amount: '1', ts: future, recv_ts: future })
      } else if (r < 0.78) value = JSON.stringify({ ...base, v: 2, price: '1', amount: '1', ts, recv_ts: ts })
      else if (r < 0.8) value = ''
      else if (r < 0.99) value = JSON.stringify({ ...base, note: junk(200 + Math.floor(random() * 1800)) })
      else value = JSON.stringify({ ...base, note: junk(2_000 + Math.floor(random() * 30_000)) })
      out.push({ topic, key, value, kind: 'malformed' })
    }
    return out
  }
}
