import type { SettingGroup } from './definition.ts'

/**
 * How every Kafka client (feeds, bridges, admin, `lag`, `reset`, `validate`, …) authenticates and encrypts. The
 * defaults are today's plaintext connections; see [kafka-cluster.md](kafka-cluster.md) for managed Kafka.
 */
export const kafkaSecuritySettings = {
  KAFKA_SECURITY_PROTOCOL: {
    section: 'kafka',
    key: 'securityProtocol',
    schema: {
      type: 'string',
      enum: ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'],
      default: 'PLAINTEXT'
    },
    description:
      "As Kafka's `security.protocol`: `SSL` encrypts (TLS), `SASL_*` logs in with `KAFKA_SASL_MECHANISM`, " +
      '`SASL_SSL` does both (Confluent Cloud, MSK, Aiven).',
    readBy: 'all Kafka users'
  },
  KAFKA_SASL_MECHANISM: {
    section: 'kafka',
    key: 'saslMechanism',
    schema: { type: 'string', enum: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'], default: 'SCRAM-SHA-512' },
    description:
      'The SASL login of `SASL_PLAINTEXT` / `SASL_SSL`. Confluent Cloud: `PLAIN`; MSK: `SCRAM-SHA-512`.',
    readBy: 'all Kafka users, with `SASL_*`'
  },
  KAFKA_SASL_USERNAME: {
    section: 'kafka',
    key: 'saslUsername',
    schema: { type: 'string', default: '' },
    description: 'SASL user (Confluent Cloud: the API key). Required with `SASL_*`.',
    readBy: 'all Kafka users, with `SASL_*`'
  },
  KAFKA_SASL_PASSWORD: {
    section: 'kafka',
    key: 'saslPassword',
    schema: { type: 'string', default: '' },
    description:
      'SASL password (Confluent Cloud: the API secret). Never logged, printed or sent in heartbeats. ' +
      'Prefer `KAFKA_SASL_PASSWORD_FILE`.',
    readBy: 'all Kafka users, with `SASL_*`'
  },
  KAFKA_SASL_PASSWORD_FILE: {
    section: 'kafka',
    key: 'saslPasswordFile',
    schema: { type: 'string', default: '' },
    description:
      'A file holding the SASL password (a Docker or Kubernetes secret), read when `KAFKA_SASL_PASSWORD` is ' +
      "empty. The local stack's SASL listener writes one: `$TICKBRIDGE_HOME/kafka/security/client.password`.",
    readBy: 'all Kafka users, with `SASL_*`'
  },
  KAFKA_SSL_CA_FILE: {
    section: 'kafka',
    key: 'sslCaFile',
    schema: { type: 'string', default: '' },
    description:
      "PEM file of the CA(s) that signed the brokers' certificates. Empty: the system's trusted CAs (enough " +
      'for Confluent Cloud, MSK and other publicly signed brokers). Aiven and the local stack need it.',
    readBy: 'all Kafka users, with `SSL` / `SASL_SSL`'
  },
  KAFKA_SSL_CERT_FILE: {
    section: 'kafka',
    key: 'sslCertFile',
    schema: { type: 'string', default: '' },
    description: 'PEM client certificate, for brokers that authenticate clients by certificate (mutual TLS).',
    readBy: 'all Kafka users, with `SSL` / `SASL_SSL`'
  },
  KAFKA_SSL_KEY_FILE: {
    section: 'kafka',
    key: 'sslKeyFile',
    schema: { type: 'string', default: '' },
    description: 'PEM private key of `KAFKA_SSL_CERT_FILE` (unencrypted). Set both or neither.',
    readBy: 'all Kafka users, with `SSL` / `SASL_SSL`'
  },
  KAFKA_SSL_REJECT_UNAUTHORIZED: {
    section: 'kafka',
    key: 'sslRejectUnauthorized',
    schema: { type: 'boolean', default: true },
    description:
      "Verify the brokers' certificates and host names. `false` accepts any certificate: for a quick test " +
      'only, never in production.',
    readBy: 'all Kafka users, with `SSL` / `SASL_SSL`'
  }
} as const satisfies SettingGroup
