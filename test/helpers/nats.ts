import type { TestContext } from 'node:test'
import { connect, type ConsumerInfo, type NatsConnection, type StreamInfo } from 'nats'
import type { Config } from '../../src/config/types.ts'
import type { MarketMessage, MessageType } from '../../src/core/messages.ts'
import { natsSubject } from '../../src/feed/nats-fanout.ts'
import { consumerName, ensureStream, natsServers } from '../../src/nats/jetstream.ts'
import { silentLog, testEnv, uniqueId, type TestEnv } from './stack.ts'

export interface NatsTestEnv extends TestEnv {
  /**
   * Runs `stop` when the test ends, before its stream, topics and database are removed: a bridge still running
   * would create its stream again (it re-creates a deleted stream), and would retry inserts into a dropped
   * database until its stop timeout.
   */
  onEnd(stop: () => Promise<unknown>): void
}

/**
 * A test environment whose NATS subjects, stream and durable consumer are its own (on the stack's NATS server,
 * `NATS_URL` or the local one), on top of testEnv()'s topics and database. The stream is deleted afterwards.
 */
export async function natsTestEnv(
  t: TestContext,
  overrides: Record<string, string> = {}
): Promise<NatsTestEnv> {
  const stops: (() => Promise<unknown>)[] = []
  let config: Config | undefined
  // Registered before testEnv()'s own clean-up, so it runs first (t.after hooks run in order).
  t.after(async () => {
    for (const stop of stops.reverse()) await stop()
    if (!config) return
    const connection = await connect({ servers: natsServers(config.nats.url) })
    const jsm = await connection.jetstreamManager()
    await jsm.streams.delete(config.nats.stream).catch(() => undefined)
    await connection.close()
  })
  const id = uniqueId()
  const env = await testEnv(t, {
    NATS_SUBJECT_PREFIX: `t${id}.market`,
    NATS_STREAM: `T${id}`,
    NATS_CONSUMER: `tb-test-${id}`,
    // Short, so a killed bridge's messages come back within the test's patience.
    NATS_ACK_WAIT_MS: '3000',
    ...overrides
  })
  config = env.config
  return { ...env, onEnd: (stop) => void stops.push(stop) }
}

/** A client connection for the test; closed afterwards. */
export async function natsClient(t: TestContext, config: Config): Promise<NatsConnection> {
  const connection = await connect({ servers: natsServers(config.nats.url) })
  t.after(() => connection.close())
  return connection
}

/**
 * Publishes messages as a feed does (`<prefix>.<type>.<exchange>.<symbol>`), through JetStream so each is stored
 * before this returns (the stream is created first if no bridge did yet). Raw strings go on a trade subject.
 */
export async function publishToNats(
  connection: NatsConnection,
  config: Config,
  messages: (MarketMessage | string)[]
): Promise<void> {
  await ensureStream(await connection.jetstreamManager(), config.nats, silentLog)
  const js = connection.jetstream()
  const prefix = config.nats.subjectPrefix
  for (let i = 0; i < messages.length; i += 1_000) {
    await Promise.all(
      messages
        .slice(i, i + 1_000)
        .map((message) =>
          typeof message === 'string'
            ? js.publish(`${prefix}.trade.test.RAW`, message)
            : js.publish(natsSubject(message, prefix), JSON.stringify(message))
        )
    )
  }
}

export async function streamInfo(connection: NatsConnection, config: Config): Promise<StreamInfo> {
  return (await connection.jetstreamManager()).streams.info(config.nats.stream)
}

/** The durable consumer of `type` (one per type, nats/jetstream.ts). */
export async function consumerInfo(
  connection: NatsConnection,
  config: Config,
  type: MessageType = 'trade'
): Promise<ConsumerInfo> {
  return (await connection.jetstreamManager()).consumers.info(
    config.nats.stream,
    consumerName(config.nats, type)
  )
}
