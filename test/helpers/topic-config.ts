import { ConfigResourceTypes, type Admin } from '@platformatic/kafka'

/** Sets a topic's `max.message.bytes` (the largest record batch the broker accepts for it). */
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
}
