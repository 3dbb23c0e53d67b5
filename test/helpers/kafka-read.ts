import { Consumer } from '@platformatic/kafka'
import type { Config } from '../../src/config/types.ts'
import { uniqueId } from './stack.ts'

export interface ReadMessage {
  key: string | undefined
  value: string
  headers: Map<string, string>
  partition: number
  offset: bigint
}

/** Reads `count` messages of `topic` from the beginning (a throw-away group), or fails after `timeoutMs`. */
export async function readTopic(
  config: Config,
  topic: string,
  count: number,
  timeoutMs = 30_000
): Promise<ReadMessage[]> {
  const consumer = new Consumer({
    clientId: 'tickbridge-test-reader',
    groupId: `tb-reader-${uniqueId()}`,
    bootstrapBrokers: config.kafka.brokers,
    maxWaitTime: 200
  })
  const messages: ReadMessage[] = []
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false })
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    stream.destroy()
  }, timeoutMs)
  try {
    for await (const m of stream) {
      const headers = new Map<string, string>()
      for (const [k, v] of m.headers) headers.set(k.toString(), v.toString())
      messages.push({
        key: m.key?.toString(),
        value: m.value?.toString() ?? '',
        headers,
        partition: m.partition,
        offset: m.offset
      })
      if (messages.length >= count) break
    }
  } catch (error) {
    // The timeout destroys the stream ("Premature close"): report what was read instead.
    if (!timedOut) throw error
  } finally {
    clearTimeout(timer)
    await new Promise<void>((resolve) => stream.close(() => resolve()))
    await new Promise<void>((resolve) => consumer.close(true, () => resolve()))
  }
  if (messages.length < count)
    throw new Error(`read ${messages.length} of ${count} messages from ${topic} in ${timeoutMs} ms`)
  return messages
}
