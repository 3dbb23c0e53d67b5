import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import type { StringProducer } from '../kafka/clients.ts'
import { TradeGenerator } from './market.ts'

/** One message to produce: topic, key (`exchange:symbol`) and the canonical JSON value. */
export interface OutgoingRecord {
  topic: string
  key: string
  value: string
}

/**
 * Where paced records come from: up to `max` records, stamped `now` where they carry a receive time; an
 * empty array when there are no more. May be async (a file being read).
 */
export type RecordSource = (max: number, now: number) => OutgoingRecord[] | Promise<OutgoingRecord[]>

export interface PaceOptions {
  /** Messages per second; null: as fast as the producer takes them. */
  rate: number | null
  /** Stop after this many messages (default: when the source is exhausted). */
  count?: number
  durationMs?: number
  /** Largest batch handed to one send (default 4,000). */
  maxBatch?: number
  /**
   * At a rate: one send per tick (default 20 ms) with what is due, unless a full `maxBatch` is due (behind:
   * send at once). Sending whatever was due whenever the previous send returned made ~1,400 produce requests a
   * second of ~18 messages each at 25,000 msg/s, and the broker spent ~15 CPU-µs per message on them (a
   * tick-paced producer or kcat: under 1; docs/benchmarks.md).
   */
  tickMs?: number
  signal?: AbortSignal
  /** Called after every acknowledged send with the running total. */
  onSent?: (sent: number) => void
}

export interface PaceResult {
  sent: number
  /** From the start to the last acknowledgement. */
  seconds: number
  /**
   * From the start to the moment the last batch was handed to `send`: what the sending kept pace with (a
   * paced run that keeps up hands its last batch over at count / rate; its acknowledgement comes one send
   * later).
   */
  dispatchSeconds: number
}

/**
 * Sends records at a steady rate (one send per tick) or as fast as possible, in batches with one send in flight, so a
 * symbol's messages stay in order even when a send fails and is retried (overlapping sends no longer lose
 * messages on @platformatic/kafka 2.x, but a failed one would let a later batch overtake it). A batch is
 * built just before it is sent, so the receive time it is stamped with is not spent queueing here; a slow
 * send makes the next batch larger (up to `maxBatch`) instead of late. Used by `tickbridge sim`,
 * `loadtest`, `replay` and the benchmarks' load producer.
 */
export async function sendPaced(
  send: (records: OutgoingRecord[]) => Promise<unknown>,
  source: RecordSource,
  options: PaceOptions
): Promise<PaceResult> {
  const maxBatch = options.maxBatch ?? 4000
  const tickMs = options.tickMs ?? 20
  const limit = options.count ?? Number.POSITIVE_INFINITY
  const started = performance.now()
  const durationMs = options.durationMs ?? Number.POSITIVE_INFINITY
  let sent = 0
  let dispatched = started
  let nextSendAt = started
  while (sent < limit && !options.signal?.aborted) {
    const now = performance.now()
    const elapsed = now - started
    if (elapsed >= durationMs) break
    const due =
      options.rate === null ? maxBatch : Math.min(limit, Math.floor((elapsed / 1000) * options.rate)) - sent
    if (due <= 0 || (due < maxBatch && now < nextSendAt)) {
      // Until the next tick, or (nothing due yet) until the next message is due, whichever is later.
      const nextDueAt = options.rate === null ? now : started + ((sent + 1) * 1000) / options.rate
      await sleep(Math.max(1, Math.min(tickMs, Math.max(nextSendAt, nextDueAt) - now)))
      continue
    }
    nextSendAt = now + tickMs
    const records = await source(Math.min(due, maxBatch, limit - sent), Date.now())
    if (records.length === 0) break
    dispatched = performance.now()
    await send(records)
    sent += records.length
    options.onSent?.(sent)
  }
  return {
    sent,
    seconds: (performance.now() - started) / 1000,
    dispatchSeconds: (dispatched - started) / 1000
  }
}

/** A source of simulated trades for `topic`, each batch stamped with the moment it is built. */
export function tradeRecords(generator: TradeGenerator, topic: string): RecordSource {
  return (max, now) => {
    const records = new Array<OutgoingRecord>(max)
    for (let i = 0; i < max; i++) {
      const { key, message } = generator.next(now)
      records[i] = { topic, key, value: JSON.stringify(message) }
    }
    return records
  }
}

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
  let lastReport = started
  const { sent } = await sendPaced(
    (messages) => producer.send({ messages }),
    tradeRecords(generator, options.topic),
    {
      rate: options.rate,
      ...(options.count === undefined ? {} : { count: options.count }),
      ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }),
      ...(options.signal ? { signal: options.signal } : {}),
      onSent: (total) => {
        const now = Date.now()
        if (now - lastReport < 5000) return
        lastReport = now
        log.info({ sent: total, rate: Math.round(total / ((now - started) / 1000)) }, 'sim producing')
      }
    }
  )
  return sent
}
