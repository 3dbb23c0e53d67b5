import { setTimeout as sleep } from 'node:timers/promises'
import { ConfigResourceTypes, type Admin } from '@platformatic/kafka'
import { maxMessageBytes } from '../../src/kafka/topics.ts'

/**
 * Sets a topic's `max.message.bytes` (the largest record batch the broker accepts for it) and waits until the
 * broker reports it: alterConfigs returns once the controller has the change, and a broker applies it a moment
 * later — a record produced in between is still judged by the old limit (seen in CI: an oversized test message
 * was accepted).
 */
export async function setTopicMaxMessageBytes(admin: Admin, topic: string, bytes: number): Promise<void> {
  await admin.alterConfigs({
    resources: [
      {
        resourceType: ConfigResourceTypes.TOPIC,
        resourceName: topic,
        configs: [{ name: 'max.message.bytes', value: String(bytes) }]
      }
    ]
  })
  const deadline = Date.now() + 15_000
  while ((await maxMessageBytes(admin, topic)) !== bytes) {
    if (Date.now() > deadline) throw new Error(`max.message.bytes of ${topic} is not ${bytes} after 15 s`)
    await sleep(50)
  }
  // The broker answering describeConfigs from its metadata image applies it to the log as it publishes that image.
  await sleep(200)
}
