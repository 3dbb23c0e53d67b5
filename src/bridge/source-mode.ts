import { MergedSource } from './merged-source.ts'
import type { MessageSource } from './ports.ts'

/** Where a bridge reads: Kafka (the default, the archive), NATS JetStream (the live path), or both into one worker. */
export const SourceModes = ['kafka', 'nats', 'both'] as const
export type SourceMode = (typeof SourceModes)[number]

export function isSourceMode(value: string): value is SourceMode {
  return (SourceModes as readonly string[]).includes(value)
}

/**
 * The one source the worker reads for `mode`. `both` merges the two into one worker rather than running two:
 * one buffer and one backpressure decision per process, one batch per table (larger inserts), one candle
 * recompute loop, and one set of counters in the heartbeat.
 */
export function sourceFor(mode: SourceMode, kafka: MessageSource, nats: MessageSource | null): MessageSource {
  if (mode === 'kafka' || !nats) return kafka
  return mode === 'nats' ? nats : new MergedSource([kafka, nats])
}
