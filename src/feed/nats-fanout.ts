import { connect, type NatsConnection } from 'nats'
import type { MarketMessage } from '../core/messages.ts'

/**
 * Optional low-latency fan-out: every canonical message a feed produces is also published on NATS as
 * `market.<type>.<exchange>.<symbol>` (the seed's live path). Fire-and-forget: NATS is for live
 * subscribers, Kafka stays the record. Dots, spaces and wildcards in a symbol become `_` so it stays one token.
 */
export function natsSubject(message: Pick<MarketMessage, 'type' | 'exchange' | 'symbol'>): string {
  const token = (value: string) => value.replace(/[.\s*>]/g, '_')
  return `market.${message.type}.${token(message.exchange)}.${token(message.symbol)}`
}

export class NatsFanout {
  readonly #connection: NatsConnection
  published = 0

  private constructor(connection: NatsConnection) {
    this.#connection = connection
  }

  static async connect(url: string, name: string): Promise<NatsFanout> {
    return new NatsFanout(await connect({ servers: url, name, maxReconnectAttempts: -1 }))
  }

  publish(message: MarketMessage, json: string): void {
    this.#connection.publish(natsSubject(message), json)
    this.published++
  }

  async close(): Promise<void> {
    await this.#connection.drain()
  }
}
