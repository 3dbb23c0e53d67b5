import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import type { StringProducer } from '../kafka/clients.ts'
import { TradeGenerator } from './market.ts'

/**
 * Produces simulated canonical trades straight to Kafka at a steady rate (the offline demo and load source
 * until the exchange-protocol simulator serves feeds). Bounded: stops after `count` messages or `durationMs`.
 */
export interface KafkaLoadOptions {
  topic: string
  exchange: string
  symbols: string[]
  /** messages per second */
  rate: number
  count?: number
  durationMs?: number
  seed: number
  signal?: AbortSignal
}

const TICK_MS = 20
/**
 * One send in flight, so a symbol's trades stay in order even when a send fails and is retried; batches are
 * made large instead. (Overlapping sends no longer lose messages on @platformatic/kafka 2.x.)
 */
const MAX_INFLIGHT_SENDS = 1
const MAX_BATCH = 4000

export async function produceTrades(
  producer: StringProducer,
  options: KafkaLoadOptions,
  log: Logger
): Promise<number> {
  const generator = new TradeGenerator({
    exchange: options.exchange,
    symbols: options.symbols,
    seed: options.seed
  })
  const started = Date.now()
  const limit = options.count ?? Number.POSITIVE_INFINITY
  const deadline = options.durationMs === undefined ? Number.POSITIVE_INFINITY : started + options.durationMs
  const inflight = new Set<Promise<unknown>>()
  let sent = 0
  let lastReport = started
  while (sent < limit && Date.now() < deadline && !options.signal?.aborted) {
    const due = Math.min(limit, Math.floor(((Date.now() - started) / 1000) * options.rate)) - sent
    if (due <= 0) {
      await sleep(TICK_MS)
      continue
    }
    const size = Math.min(due, MAX_BATCH)
    const now = Date.now()
    const messages = new Array(size)
    for (let i = 0; i < size; i++) {
      const { key, message } = generator.next(now)
      messages[i] = { topic: options.topic, key, value: JSON.stringify(message) }
    }
    const send = producer.send({ messages }).finally(() => inflight.delete(send))
    inflight.add(send)
    sent += size
    if (inflight.size >= MAX_INFLIGHT_SENDS) await Promise.race(inflight)
    if (now - lastReport >= 5000) {
      lastReport = now
      log.info({ sent, rate: Math.round(sent / ((now - started) / 1000)) }, 'sim producing')
    }
  }
  await Promise.all(inflight)
  return sent
}
