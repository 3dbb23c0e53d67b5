import type { OutgoingMessage } from './spool.ts'

/**
 * The small interface the feed's publisher is given; the real implementation (the @platformatic/kafka producer
 * from `kafka/clients.ts`, which fits it as it is) is built and closed by `feed/run.ts`.
 */
export interface FeedProducer {
  /**
   * Produces `messages` (each to its topic, partitioned by its key), all or nothing as far as the caller knows:
   * it settles once Kafka acknowledged every one. A failure rejects with the client's error tree, which
   * `kafka/errors.ts` reads for the broker's reason (too large, refused for good, or worth a retry).
   */
  send(options: { messages: OutgoingMessage[] }): Promise<unknown>
}
