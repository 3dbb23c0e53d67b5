import { displayUrl, withoutCredentials } from '../core/url-credentials.ts'
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type NatsConnection,
  type NatsError,
  type StreamConfig,
  type StreamInfo
} from 'nats'
import type { Logger } from 'pino'
import type { NatsConfig } from '../config/types.ts'
import type { MessageType } from '../core/messages.ts'
import { ErrorCodes, TickbridgeError } from '../errors.ts'

/**
 * NATS JetStream for the live path (docs/nats.md): connecting, and the stream and durable consumer the bridges
 * share, created where missing. The one place that knows their configuration.
 */

/** JetStream API error codes (the server's `err_code`). */
const STREAM_NOT_FOUND = 10059
const CONSUMER_NOT_FOUND = 10014

export function natsServers(url: string): string[] {
  return url
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

/**
 * Credentials written in NATS_URL (`nats://user:password@host:4222`, or `nats://token@host:4222`) as the
 * client's options: nats.js itself ignores them in a server URL. The first server that carries any gives them.
 */
export function natsCredentials(url: string): { user: string; pass: string } | { token: string } | null {
  for (const server of natsServers(url)) {
    const parsed = URL.parse(server.includes('://') ? server : `nats://${server}`)
    if (!parsed?.username) continue
    const user = decodeURIComponent(parsed.username)
    return parsed.password ? { user, pass: decodeURIComponent(parsed.password) } : { token: user }
  }
  return null
}

/** NATS_URL for logs and messages: credentials replaced by `***`. */
export function displayNatsUrl(url: string): string {
  return natsServers(url).map(displayUrl).join(',')
}

/** Connects, reconnecting forever once connected; the first connection failing is a TB_NATS_UNAVAILABLE. */
export async function connectNats(url: string, name: string): Promise<NatsConnection> {
  try {
    return await connect({
      servers: natsServers(url).map(withoutCredentials),
      ...natsCredentials(url),
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
      pingInterval: 10_000
    })
  } catch (error) {
    throw natsUnavailable(`could not connect to NATS at ${displayNatsUrl(url)}`, error)
  }
}

export function natsUnavailable(message: string, cause: unknown): TickbridgeError {
  return new TickbridgeError(ErrorCodes.NATS_UNAVAILABLE, message, {
    cause,
    retriable: true,
    hint: 'Run `tickbridge stack up`, or check NATS_URL (the server must run with JetStream, `-js`), NATS_STREAM and NATS_SUBJECT_PREFIX.'
  })
}

/** The JetStream API error code of `error`, if it is one. */
export function jetStreamErrorCode(error: unknown): number | undefined {
  return (error as Partial<NatsError> | null)?.api_error?.err_code
}

export function isStreamNotFound(error: unknown): boolean {
  return jetStreamErrorCode(error) === STREAM_NOT_FOUND
}

export function isConsumerNotFound(error: unknown): boolean {
  return jetStreamErrorCode(error) === CONSUMER_NOT_FOUND
}

/**
 * Whether a JetStream message was delivered before, read from its ack subject without the client's full parse
 * (which splits it and builds an object: a tenth of the bridge's CPU per message, measured). The subject is
 * `$JS.ACK.<stream>.<consumer>.<deliveries>.…` (9 tokens), or with `<domain>.<account hash>` after `ACK`
 * (11 or more): the delivery count is the 5th token, or the 7th.
 */
export function isRedelivery(ackSubject: string): boolean {
  const dots: number[] = []
  for (let at = ackSubject.indexOf('.'); at >= 0 && dots.length < 12; at = ackSubject.indexOf('.', at + 1))
    dots.push(at)
  const token = dots.length === 8 ? 4 : 6
  const start = (dots[token - 1] ?? -1) + 1
  const end = dots[token] ?? ackSubject.length
  return !(end - start === 1 && ackSubject.charCodeAt(start) === 49) // not "1"
}

/** Every subject feeds publish on (`<prefix>.<type>.<exchange>.<symbol>`). */
export function streamSubjects(nats: NatsConfig): string[] {
  return [`${nats.subjectPrefix}.>`]
}

/**
 * The stream of the live path. A work queue: the stream's only job is to hold what feeds published until a
 * bridge has it in ClickHouse, so a message is removed as soon as a bridge acknowledges it, and the disk holds
 * only the backlog (Kafka, not NATS, is the archive to replay from). The age and size limits bound that backlog
 * while no bridge runs; past them the oldest messages are dropped (publishers use core NATS and could not be
 * told "no" anyway). One file-backed replica: the local server is one node.
 */
export function streamConfig(nats: NatsConfig): Partial<StreamConfig> {
  return {
    name: nats.stream,
    subjects: streamSubjects(nats),
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(nats.streamMaxAgeMs),
    max_bytes: nats.streamMaxBytes,
    num_replicas: 1
  }
}

/** Creates the stream if missing; an existing one is used as it is. Returns its info. */
export async function ensureStream(
  jsm: JetStreamManager,
  nats: NatsConfig,
  log: Logger
): Promise<StreamInfo> {
  try {
    return await jsm.streams.info(nats.stream)
  } catch (error) {
    if (!isStreamNotFound(error)) throw natsUnavailable(`cannot read NATS stream ${nats.stream}`, error)
  }
  try {
    const info = await jsm.streams.add(streamConfig(nats))
    log.info(
      { stream: nats.stream, subjects: info.config.subjects, retention: info.config.retention },
      'created the NATS stream'
    )
    return info
  } catch (error) {
    // Another bridge may have created it meanwhile; anything else (the subjects taken by another stream) is fatal.
    const info = await jsm.streams.info(nats.stream).catch(() => null)
    if (info) return info
    throw natsUnavailable(
      `cannot create NATS stream ${nats.stream} on ${streamSubjects(nats).join(', ')}`,
      error
    )
  }
}

/**
 * The durable consumer of one message type, `<NATS_CONSUMER>-<type>`: one per type, shared by every bridge that
 * reads the type, whatever its worker pool. A work-queue stream refuses consumers whose subjects overlap, and
 * nats-server before 2.10 takes one filter subject per consumer, so consumers per type (filters
 * `<prefix>.<type>.>`, disjoint) are what lets a pool of trade bridges and a bridge of every type read one
 * stream together: each type's messages go to one of the bridges reading that type (docs/nats.md#worker-pools).
 */
export function consumerName(nats: NatsConfig, type: MessageType): string {
  return `${nats.consumer}-${type}`
}

export function typeSubject(nats: NatsConfig, type: MessageType): string {
  return `${nats.subjectPrefix}.${type}.>`
}

/**
 * A type's durable pull consumer: explicit acks (a bridge acknowledges each message once it is in ClickHouse),
 * redelivery after the ack wait, at most `maxAckPending` delivered and unacknowledged.
 */
export function consumerConfig(nats: NatsConfig, type: MessageType): Partial<ConsumerConfig> {
  return {
    durable_name: consumerName(nats, type),
    filter_subject: typeSubject(nats, type),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(nats.ackWaitMs),
    max_ack_pending: nats.maxAckPending,
    max_deliver: -1
  }
}

/**
 * Earlier builds read every type through one unfiltered consumer named `NATS_CONSUMER`, which a work queue does
 * not let coexist with the per-type ones. It is deleted: on a work queue that loses nothing (unacknowledged
 * messages stay in the stream and go to the per-type consumers; what its bridges still held is written twice,
 * one row).
 */
export async function dropUnfilteredConsumer(
  jsm: JetStreamManager,
  nats: NatsConfig,
  log: Logger
): Promise<void> {
  const legacy = await jsm.consumers.info(nats.stream, nats.consumer).catch(() => null)
  if (!legacy || legacy.config.filter_subject) return
  await jsm.consumers.delete(nats.stream, nats.consumer).catch(() => undefined)
  log.warn(
    { stream: nats.stream, consumer: nats.consumer },
    'deleted the unfiltered NATS consumer of an earlier build: bridges now read one consumer per type'
  )
}

/** Makes sure the consumers of `types` exist (see ensureConsumer), after dropping a legacy unfiltered one. */
export async function ensureConsumers(
  jsm: JetStreamManager,
  nats: NatsConfig,
  types: readonly MessageType[],
  log: Logger
): Promise<void> {
  await dropUnfilteredConsumer(jsm, nats, log)
  for (const type of types) await ensureConsumer(jsm, nats, type, log)
}

/**
 * Creates a type's durable consumer if missing. An existing one is brought to this config's ack wait and pending
 * limit (if the server refuses, the bridge goes on with the consumer as it is, and says so).
 */
export async function ensureConsumer(
  jsm: JetStreamManager,
  nats: NatsConfig,
  type: MessageType,
  log: Logger
): Promise<void> {
  const wanted = consumerConfig(nats, type)
  const name = consumerName(nats, type)
  const existing = await jsm.consumers.info(nats.stream, name).catch((error: unknown) => {
    if (isConsumerNotFound(error)) return null
    throw natsUnavailable(`cannot read NATS consumer ${name} of ${nats.stream}`, error)
  })
  if (existing) {
    const { ack_wait: ackWait, max_ack_pending: maxAckPending } = existing.config
    if (ackWait === wanted.ack_wait && maxAckPending === wanted.max_ack_pending) return
    await jsm.consumers
      .update(nats.stream, name, {
        ack_wait: wanted.ack_wait as number,
        max_ack_pending: wanted.max_ack_pending as number
      })
      .then(
        () =>
          log.info({ consumer: name }, 'NATS consumer updated to NATS_ACK_WAIT_MS / NATS_MAX_ACK_PENDING'),
        (error: unknown) =>
          log.warn({ err: error, consumer: name }, 'could not update the NATS consumer; using it as it is')
      )
    return
  }
  try {
    await jsm.consumers.add(nats.stream, wanted)
    log.info(
      { stream: nats.stream, consumer: name, filter: wanted.filter_subject },
      'created the durable NATS consumer'
    )
  } catch (error) {
    // Another bridge may have created it meanwhile.
    if (await jsm.consumers.info(nats.stream, name).catch(() => null)) return
    throw natsUnavailable(`cannot create NATS consumer ${name} on ${nats.stream}`, error)
  }
}

/** Milliseconds as the nanoseconds JetStream's API takes. */
function nanos(ms: number): number {
  return ms * 1_000_000
}
