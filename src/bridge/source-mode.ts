import { ErrorCodes, TickbridgeError } from '../errors.ts'
import { MergedSource } from './merged-source.ts'
import type { MessageSource } from './ports.ts'

/** Where a bridge reads: Kafka (the default, the archive), NATS JetStream (the live path), or both into one worker. */
export const SourceModes = ['kafka', 'nats', 'both'] as const
export type SourceMode = (typeof SourceModes)[number]

export function isSourceMode(value: string): value is SourceMode {
  return (SourceModes as readonly string[]).includes(value)
}

/** `--source` of `bridge`, `scale` and `start`. */
export function parseSourceMode(value: string): SourceMode {
  if (isSourceMode(value)) return value
  throw new TickbridgeError(
    ErrorCodes.INVALID_ARGUMENT,
    `--source must be ${SourceModes.join(', ')}; got "${value}"`,
    {
      hint: 'kafka (the default), nats (the live path: docs/nats.md) or both.'
    }
  )
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
