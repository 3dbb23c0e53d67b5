import { settleWithin } from '../settle-within.ts'
import type { NatsConnection } from 'nats'
import type { Logger } from 'pino'
import { connectNats } from '../nats/jetstream.ts'
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

/** How long a stop waits for NATS to take what is buffered before it closes the connection anyway. */
const CLOSE_TIMEOUT_MS = 3_000

export class NatsFanout {
  readonly #connection: NatsConnection
  readonly #prefix: string
  published = 0
  /** Not published: the client refused it (the connection closed for good, or a message NATS cannot take). */
  dropped = 0

  #closing = false

  private constructor(connection: NatsConnection, prefix: string, log: Logger) {
    this.#connection = connection
    this.#prefix = prefix
    // The client closes the connection itself when reconnecting cannot help (NATS began demanding credentials):
    // from then on every publish is dropped. Kafka keeps every message; NATS subscribers see the gap.
    void connection.closed().then((error) => {
      if (!this.#closing)
        log.error(
          { err: error },
          'NATS closed the fan-out connection for good: messages go to Kafka only (tickbridge_feed_nats_dropped_total); restart the feed once NATS accepts it'
        )
    })
  }

  static async connect(url: string, name: string, prefix: string, log: Logger): Promise<NatsFanout> {
    return new NatsFanout(await connectNats(url, name), prefix, log)
  }

  /** The connection is closed for good: no more reconnect attempts. */
  get closed(): boolean {
    return this.#connection.isClosed()
  }

  /** Fire-and-forget, and never a throw into the feed's frame handling: a closed connection drops it. */
  publish(message: MarketMessage, json: string): void {
    try {
      this.#connection.publish(natsSubject(message, this.#prefix), json)
      this.published++
    } catch {
      this.dropped++
    }
  }

  /** Drains, but not forever: while NATS is away a drain waits for an answer that only a reconnect brings. */
  async close(): Promise<void> {
    this.#closing = true
    await settleWithin(this.#connection.drain(), CLOSE_TIMEOUT_MS)
    await this.#connection.close().catch(() => undefined)
  }
}
