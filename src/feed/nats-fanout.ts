import { connect, type NatsConnection } from 'nats'
import type { MarketMessage } from '../core/messages.ts'

/**
 * Optional low-latency fan-out: every canonical message a feed produces is also published on NATS as
 * `market.<type>.<exchange>.<symbol>` (the seed's live path; `market` is NATS_SUBJECT_PREFIX). Fire-and-forget
 * for live subscribers; bridges reading NATS get it through the JetStream stream on `<prefix>.>` (docs/nats.md),
 * and Kafka stays the record. Dots, spaces and wildcards in a symbol become `_` so it stays one token.
 */
export function natsSubject(
  message: Pick<MarketMessage, 'type' | 'exchange' | 'symbol'>,
  prefix = 'market'
): string {
  const token = (value: string) => value.replace(/[.\s*>]/g, '_')
  return `${prefix}.${message.type}.${token(message.exchange)}.${token(message.symbol)}`
}

export class NatsFanout {
  readonly #connection: NatsConnection
  readonly #prefix: string
  published = 0

  private constructor(connection: NatsConnection, prefix: string) {
    this.#connection = connection
    this.#prefix = prefix
  }

  static async connect(url: string, name: string, prefix = 'market'): Promise<NatsFanout> {
    return new NatsFanout(await connect({ servers: url, name, maxReconnectAttempts: -1 }), prefix)
  }

  publish(message: MarketMessage, json: string): void {
    this.#connection.publish(natsSubject(message, this.#prefix), json)
    this.published++
  }

  async close(): Promise<void> {
    await this.#connection.drain()
  }
}
