import { Consumer } from '@platformatic/kafka'
import type { Config } from '../../src/config/types.ts'
import type { DeadLetterEnvelope } from '../../src/core/dead-letter.ts'
import { uniqueId } from '../helpers/stack.ts'

/** What the dead-letter topic holds, read once from the beginning without keeping the letters in memory. */
export interface DlqScan {
  letters: number
  truncated: number
  /** Letters whose body is not a dead-letter envelope (JSON with reason and origin). */
  unreadable: number
  maxLetterBytes: number
  /** Distinct (source partition, offset) pairs: letters minus this = letters written twice. */
  distinctSources: number
  reasons: Record<string, number>
}

export async function scanDlq(config: Config, expected: number, timeoutMs = 120_000): Promise<DlqScan> {
  const consumer = new Consumer({
    clientId: 'tickbridge-faults-dlq-scan',
    groupId: `tb-faults-scan-${uniqueId()}`,
    bootstrapBrokers: config.kafka.brokers,
    maxWaitTime: 200,
    maxBytes: 16 * 1024 * 1024
  })
  const scan: DlqScan = {
    letters: 0,
    truncated: 0,
    unreadable: 0,
    maxLetterBytes: 0,
    distinctSources: 0,
    reasons: {}
  }
  const sources = new Set<string>()
  const stream = await consumer.consume({ topics: [config.topics.dlq], mode: 'earliest', autocommit: false })
  const timer = setTimeout(() => stream.destroy(), timeoutMs)
  try {
    for await (const message of stream) {
      const value = message.value ?? Buffer.alloc(0)
      scan.letters++
      scan.maxLetterBytes = Math.max(scan.maxLetterBytes, value.length)
      try {
        const letter = JSON.parse(value.toString()) as DeadLetterEnvelope
        if (letter.truncated) scan.truncated++
        // Group by the kind of problem: "invalid JSON: Unexpected token…" -> "invalid JSON", digits as N.
        const head = (letter.reason.split(':')[0] ?? '').replace(/[0-9]+/g, 'N').slice(0, 60)
        scan.reasons[head] = (scan.reasons[head] ?? 0) + 1
        sources.add(`${letter.source_topic}:${letter.partition}:${letter.offset}`)
      } catch {
        scan.unreadable++
      }
      if (scan.letters >= expected) break
    }
  } finally {
    clearTimeout(timer)
    await new Promise<void>((resolve) => stream.close(() => resolve()))
    await new Promise<void>((resolve) => consumer.close(true, () => resolve()))
  }
  scan.distinctSources = sources.size
  return scan
}
