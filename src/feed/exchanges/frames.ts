import { parse as parseLossless } from 'lossless-json'
import type { MarketMessage } from '../../core/messages.ts'

/** What a feed does with the frames of a connection: canonical messages out, and frames it could not map. */
export interface FeedSink {
  message(message: MarketMessage): void
  rejected(frame: string, reason: string): void
}

/**
 * Parses an exchange frame keeping every JSON number as its literal text (so prices never pass through a
 * float); a frame that is not JSON is reported to the sink with the reason. Returns undefined in that case.
 */
export function parseFrame(text: string, sink: FeedSink): { value: unknown } | undefined {
  try {
    return { value: parseLossless(text, null, (literal: string) => literal) }
  } catch (error) {
    sink.rejected(text, `invalid JSON: ${(error as Error).message}`)
    return undefined
  }
}
