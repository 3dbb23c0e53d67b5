/**
 * An in-memory fake of the feed publisher's port (`src/feed/ports.ts`), for unit tests that inject what a real
 * broker cannot produce on demand: an outage of a chosen length, a refusal for good, a record too large. It
 * records what a user would observe: the messages Kafka acknowledged, in the order it acknowledged them.
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import { MultipleErrors, NetworkError, ProtocolError } from '@platformatic/kafka'
import type { FeedProducer } from '../../src/feed/ports.ts'
import type { OutgoingMessage } from '../../src/feed/spool.ts'

export interface SendAttempt {
  messages: OutgoingMessage[]
  /** When the attempt started (Date.now()). */
  at: number
}

/** Decides what one send attempt does: return to accept it, throw to fail it, hang to keep it in flight. */
export type SendBehaviour = (messages: OutgoingMessage[], attempt: number) => Promise<void> | void

export class FakeProducer implements FeedProducer {
  /** Every attempt, accepted or not. */
  readonly attempts: SendAttempt[] = []
  /** Every message of an accepted send, in order: what the topics would hold. */
  readonly delivered: OutgoingMessage[] = []
  behaviour: SendBehaviour
  inFlight = 0
  /** The most sends that were ever in flight at once. */
  maxInFlight = 0

  constructor(behaviour: SendBehaviour = () => undefined) {
    this.behaviour = behaviour
  }

  async send({ messages }: { messages: OutgoingMessage[] }): Promise<void> {
    const batch = messages.map((message) => ({ ...message }))
    this.attempts.push({ messages: batch, at: Date.now() })
    this.inFlight++
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    try {
      await nextTurn() // a real send answers from the network, never in the same turn of the event loop
      await this.behaviour(batch, this.attempts.length)
      this.delivered.push(...batch)
    } finally {
      this.inFlight--
    }
  }

  /** Delivered messages of one topic. */
  on(topic: string): OutgoingMessage[] {
    return this.delivered.filter((message) => message.topic === topic)
  }
}

/** Kafka away, as the client reports it: the connection refused, inside its MultipleErrors. */
export function kafkaAway(): Error {
  return new MultipleErrors('Producing messages failed.', [
    new NetworkError('Connection to 127.0.0.1:9092 failed.', { cause: new Error('connect ECONNREFUSED') })
  ])
}

/** The broker's answer `apiId` (e.g. `MESSAGE_TOO_LARGE`) as the client reports it. */
export function brokerError(apiId: string): Error {
  return new MultipleErrors('Producing messages failed.', [new ProtocolError(apiId)])
}
