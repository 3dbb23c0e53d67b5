import { readFileSync } from 'node:fs'
import type { ConnectionOptions as TlsOptions } from 'node:tls'
import type { SASLOptions } from '@platformatic/kafka'
import type { KafkaConfig } from '../config/types.ts'
import { ErrorCodes, TickbridgeError } from '../errors.ts'
import { TLS_VERIFY_CODES, walk } from './errors.ts'

/**
 * KAFKA_SECURITY_PROTOCOL and its companions, as the `tls` / `sasl` options of every @platformatic/kafka client
 * (kafka/clients.ts). Files (CA, certificate, key, password) are read when a client is built, so a rotated
 * secret is picked up by the next connection. The password goes in as a function: the options object a client
 * keeps, and may print, never holds it.
 */
export interface ConnectionSecurity {
  tls?: TlsOptions
  sasl?: SASLOptions
}

const SASL_HINT =
  'Check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE), and that ' +
  'KAFKA_SASL_MECHANISM is one the brokers enable (see docs/kafka-cluster.md).'

export function connectionSecurity(config: KafkaConfig): ConnectionSecurity {
  const protocol = config.securityProtocol
  const security: ConnectionSecurity = {}
  if (protocol === 'SSL' || protocol === 'SASL_SSL') security.tls = tlsOptions(config)
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') security.sasl = saslOptions(config)
  return security
}

function tlsOptions(config: KafkaConfig): TlsOptions {
  if (Boolean(config.sslCertFile) !== Boolean(config.sslKeyFile)) {
    throw configError(
      'KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together: set both (mutual TLS) or neither'
    )
  }
  return {
    rejectUnauthorized: config.sslRejectUnauthorized,
    ...(config.sslCaFile ? { ca: readSetting('KAFKA_SSL_CA_FILE', config.sslCaFile) } : {}),
    ...(config.sslCertFile
      ? {
          cert: readSetting('KAFKA_SSL_CERT_FILE', config.sslCertFile),
          key: readSetting('KAFKA_SSL_KEY_FILE', config.sslKeyFile)
        }
      : {})
  }
}

function saslOptions(config: KafkaConfig): SASLOptions {
  if (!config.saslUsername) {
    throw configError(`KAFKA_SECURITY_PROTOCOL=${config.securityProtocol} needs KAFKA_SASL_USERNAME`)
  }
  const password = config.saslPassword.isSet
    ? config.saslPassword.reveal()
    : config.saslPasswordFile
      ? readSetting('KAFKA_SASL_PASSWORD_FILE', config.saslPasswordFile).toString('utf8').trim()
      : ''
  if (!password) {
    throw configError(
      `KAFKA_SECURITY_PROTOCOL=${config.securityProtocol} needs KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE`
    )
  }
  return { mechanism: config.saslMechanism, username: config.saslUsername, password: () => password }
}

function readSetting(name: string, path: string): Buffer {
  try {
    return readFileSync(path)
  } catch (error) {
    throw new TickbridgeError(
      ErrorCodes.CONFIG_INVALID,
      `${name}: cannot read ${path}: ${(error as Error).message}`,
      {
        cause: error,
        hint: `Point ${name} at a readable file (see docs/kafka-cluster.md).`
      }
    )
  }
}

function configError(message: string): TickbridgeError {
  return new TickbridgeError(ErrorCodes.CONFIG_INVALID, `invalid configuration: ${message}`, {
    hint: 'See the secured-Kafka settings in docs/configuration.md and docs/kafka-cluster.md.'
  })
}

const SASL_REFUSALS = new Set([
  'SASL_AUTHENTICATION_FAILED',
  'ILLEGAL_SASL_STATE',
  'UNSUPPORTED_SASL_MECHANISM'
])

/**
 * A refused login or an unverifiable broker certificate anywhere in `error`, as the coded error that names the
 * settings to check; null for anything else. Messages carry the user and mechanism, never the password.
 */
export function kafkaSecurityError(error: unknown): TickbridgeError | null {
  if (
    error instanceof TickbridgeError &&
    (error.code === ErrorCodes.KAFKA_AUTH_FAILED || error.code === ErrorCodes.KAFKA_TLS_FAILED)
  ) {
    return error
  }
  for (const node of walk(error)) {
    if (
      node.code === 'PLT_KFK_AUTHENTICATION' ||
      (typeof node.apiId === 'string' && SASL_REFUSALS.has(node.apiId))
    ) {
      return new TickbridgeError(
        ErrorCodes.KAFKA_AUTH_FAILED,
        `Kafka refused the SASL login${typeof node.apiId === 'string' ? ` [${node.apiId}]` : ''}`,
        { cause: error, hint: SASL_HINT }
      )
    }
    if (typeof node.code === 'string' && TLS_VERIFY_CODES.has(node.code)) {
      return new TickbridgeError(
        ErrorCodes.KAFKA_TLS_FAILED,
        `the Kafka broker's TLS certificate did not verify [${node.code}]`,
        {
          cause: error,
          hint:
            "Point KAFKA_SSL_CA_FILE at the CA that signed the brokers' certificates (PEM), and check that " +
            'KAFKA_BROKERS names the hosts the certificates are for.'
        }
      )
    }
  }
  return null
}

const LOGIN_MODULES: Record<KafkaConfig['saslMechanism'], string> = {
  PLAIN: 'org.apache.kafka.common.security.plain.PlainLoginModule',
  'SCRAM-SHA-256': 'org.apache.kafka.common.security.scram.ScramLoginModule',
  'SCRAM-SHA-512': 'org.apache.kafka.common.security.scram.ScramLoginModule'
}

/** A value inside a JAAS option's quotes, then inside a .properties file (both escape with backslashes). */
const jaasQuoted = (value: string) =>
  `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`.replaceAll('\\', '\\\\')

/**
 * The same security as a Java client properties file, for Kafka's own tools (`tickbridge kafka …`,
 * `--command-config`); null for PLAINTEXT. It holds the password: write it 0600 and delete it after use.
 * A client certificate is not carried over (the Java tools would need it inline or in a keystore).
 */
export function javaClientProperties(config: KafkaConfig): string | null {
  if (config.securityProtocol === 'PLAINTEXT') return null
  const lines = [`security.protocol=${config.securityProtocol}`]
  const security = connectionSecurity(config)
  if (security.tls) {
    if (config.sslCaFile) lines.push('ssl.truststore.type=PEM', `ssl.truststore.location=${config.sslCaFile}`)
    if (!config.sslRejectUnauthorized) lines.push('ssl.endpoint.identification.algorithm=')
  }
  if (security.sasl) {
    const password = (security.sasl.password as () => string)()
    lines.push(
      `sasl.mechanism=${config.saslMechanism}`,
      `sasl.jaas.config=${LOGIN_MODULES[config.saslMechanism]} required username=${jaasQuoted(config.saslUsername)} password=${jaasQuoted(password)};`
    )
  }
  return `${lines.join('\n')}\n`
}
