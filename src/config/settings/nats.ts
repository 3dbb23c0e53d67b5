import type { SettingGroup } from './definition.ts'

const NAME = '^[A-Za-z0-9_-]+$'

/**
 * NATS, the live path (docs/nats.md): where the server is, the JetStream stream that keeps what feeds publish
 * until a bridge has it in ClickHouse, and the durable consumers, one per type, that bridges share (`bridge --source nats|both`).
 */
export const natsSettings = {
  NATS_URL: {
    section: 'nats',
    key: 'url',
    schema: { type: 'string', default: '' },
    description:
      "NATS server URL(s), comma-separated, e.g. `nats://nats-1:4222`. Empty: the local stack's server, " +
      'and `stack up` makes sure one with JetStream runs. Set: NATS is external and never started. ' +
      'Credentials go in the URL: `nats://user:password@nats-1:4222` or `nats://token@nats-1:4222` ' +
      '(percent-encoded; shown as `***` in logs and messages).',
    readBy: '`bridge --source nats|both`, `feed --nats`, `stack`'
  },
  TICKBRIDGE_NATS_PORT: {
    section: 'stack',
    key: 'natsPort',
    schema: { type: 'integer', minimum: 1, maximum: 65535, default: 4222 },
    description:
      'Local NATS port; also the default for `NATS_URL`. When a NATS server with JetStream already listens ' +
      'there (not started by `stack up`), `stack up` uses it instead of starting one.',
    readBy: '`stack`, and every NATS user when `NATS_URL` is unset'
  },
  NATS_SUBJECT_PREFIX: {
    section: 'nats',
    key: 'subjectPrefix',
    schema: { type: 'string', pattern: '^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$', default: 'market' },
    description:
      'Feeds publish on `<prefix>.<type>.<exchange>.<symbol>`; the stream holds `<prefix>.>`. Two ' +
      'deployments share one NATS server with different prefixes (and stream names).',
    readBy: '`bridge`, `feed --nats`'
  },
  NATS_STREAM: {
    section: 'nats',
    key: 'stream',
    schema: { type: 'string', pattern: NAME, default: 'MARKET' },
    description:
      'JetStream stream of the live path, created by the first bridge that reads NATS if missing: a work ' +
      'queue (a message is removed once a bridge acknowledged it, i.e. once it is in ClickHouse). An ' +
      'existing stream is used as it is.',
    readBy: '`bridge`'
  },
  NATS_CONSUMER: {
    section: 'nats',
    key: 'consumer',
    schema: { type: 'string', pattern: NAME, default: 'tickbridge-bridge' },
    description:
      'Prefix of the durable pull consumers, one per message type (`<NATS_CONSUMER>-trade`, filter ' +
      '`<prefix>.trade.>`, …), each shared by every bridge reading the type whatever its worker pool: each ' +
      'message goes to one of them, like a consumer group. Created if missing.',
    readBy: '`bridge`'
  },
  NATS_STREAM_MAX_AGE_MS: {
    section: 'nats',
    key: 'streamMaxAgeMs',
    schema: { type: 'integer', minimum: 1000, default: 86400000 },
    description:
      'A message no bridge acknowledged within this time is dropped from the stream (the default is a day): ' +
      'the longest all bridges may be away before the live path loses data. Applied when the stream is created.',
    readBy: '`bridge`'
  },
  NATS_STREAM_MAX_BYTES: {
    section: 'nats',
    key: 'streamMaxBytes',
    schema: { type: 'integer', minimum: 1048576, default: 1073741824 },
    description:
      'Disk the stream may use for messages not yet acknowledged (the default is 1 GiB); when full, the ' +
      'oldest are dropped. Applied when the stream is created.',
    readBy: '`bridge`'
  },
  NATS_ACK_WAIT_MS: {
    section: 'nats',
    key: 'ackWaitMs',
    schema: { type: 'integer', minimum: 1000, default: 30000 },
    description:
      'A message delivered to a bridge and not acknowledged within this time is delivered again (to any ' +
      'bridge): how soon the work of a killed bridge moves to the others. A live bridge extends it for the ' +
      'messages it holds, however long their insert takes.',
    readBy: '`bridge`'
  },
  NATS_MAX_ACK_PENDING: {
    section: 'nats',
    key: 'maxAckPending',
    schema: { type: 'integer', minimum: 100, default: 200000 },
    description:
      'Per message type (each type has its own durable consumer): messages of that type delivered to all ' +
      'bridges together and not yet acknowledged; the server delivers no more of it until some are. A bridge ' +
      'acknowledges a message about a second after reading it (insert and candle recompute), so this bounds ' +
      'each type of the live path to roughly this many messages per second.',
    readBy: '`bridge`'
  }
} as const satisfies SettingGroup
