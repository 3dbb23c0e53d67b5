import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Config } from '../config/types.ts'
import { ErrorCodes, TickbridgeError } from '../errors.ts'
import { commandExists } from './processes.ts'

/**
 * The local broker's SASL_SSL listener (TICKBRIDGE_KAFKA_SASL_PORT): a CA and a broker certificate made with
 * openssl at the first stack-up, a PKCS#12 keystore the broker reads, and a SCRAM-SHA-512 user
 * `tickbridge` created through the running broker (ConfigCommand over the plaintext listener), so an
 * existing, already formatted log dir gains it too. Clients use ca.pem and client.password (docs/kafka-cluster.md).
 */
export const LOCAL_SASL_USER = 'tickbridge'

export function kafkaSaslPaths(kafkaDir: string) {
  const dir = join(kafkaDir, 'security')
  return {
    dir,
    caKey: join(dir, 'ca.key'),
    ca: join(dir, 'ca.pem'),
    brokerKey: join(dir, 'broker.key'),
    brokerCsr: join(dir, 'broker.csr'),
    brokerCert: join(dir, 'broker.pem'),
    extensions: join(dir, 'broker.ext'),
    keystore: join(dir, 'broker.p12'),
    keystorePassword: join(dir, 'keystore.password'),
    clientPassword: join(dir, 'client.password'),
    scramConfig: join(dir, 'scram.properties')
  }
}

export type KafkaSaslPaths = ReturnType<typeof kafkaSaslPaths>

function secretFile(path: string): string {
  if (!existsSync(path)) writeFileSync(path, `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 })
  return readFileSync(path, 'utf8').trim()
}

function openssl(args: string[]): void {
  const result = spawnSync('openssl', args, { encoding: 'utf8' })
  if (result.status !== 0) {
    throw new TickbridgeError(
      ErrorCodes.START_FAILED,
      `openssl ${args[0] ?? ''} failed while making the SASL_SSL listener's certificates:\n${result.stderr}`,
      { hint: 'Run `tickbridge stack down`, delete $TICKBRIDGE_HOME/kafka/security, and `stack up` again.' }
    )
  }
}

/** CA, broker certificate (for 127.0.0.1 and localhost) and keystore, made once; later stack-ups reuse them. */
export function ensureCertificates(paths: KafkaSaslPaths): void {
  if (existsSync(paths.keystore)) return
  if (!commandExists('openssl')) {
    throw new TickbridgeError(
      ErrorCodes.START_FAILED,
      'openssl is not installed (needed once, to make the certificates of the SASL_SSL listener).',
      { hint: 'Install it (Debian: apt-get install -y openssl), or set TICKBRIDGE_KAFKA_SASL_PORT=0.' }
    )
  }
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 })
  secretFile(paths.keystorePassword) // read by openssl below (`file:`), and by the broker's config
  const days = '3650'
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    paths.caKey,
    '-out',
    paths.ca,
    '-days',
    days,
    '-subj',
    '/CN=tickbridge local Kafka CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign'
  ])
  openssl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    paths.brokerKey,
    '-out',
    paths.brokerCsr,
    '-subj',
    '/CN=localhost'
  ])
  writeFileSync(
    paths.extensions,
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n'
  )
  openssl([
    'x509',
    '-req',
    '-in',
    paths.brokerCsr,
    '-CA',
    paths.ca,
    '-CAkey',
    paths.caKey,
    '-CAcreateserial',
    '-out',
    paths.brokerCert,
    '-days',
    days,
    '-extfile',
    paths.extensions
  ])
  openssl([
    'pkcs12',
    '-export',
    '-in',
    paths.brokerCert,
    '-inkey',
    paths.brokerKey,
    '-certfile',
    paths.ca,
    '-name',
    'broker',
    '-out',
    paths.keystore,
    '-passout',
    `file:${paths.keystorePassword}`
  ])
  rmSync(paths.brokerCsr, { force: true })
}

/** The server.properties lines of the SASL_SSL listener (the listener itself is added by the caller). */
export function saslListenerProperties(paths: KafkaSaslPaths): string {
  const module = 'org.apache.kafka.common.security.scram.ScramLoginModule required;'
  const password = secretFile(paths.keystorePassword)
  return `sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${module}
ssl.keystore.type=PKCS12
ssl.keystore.location=${paths.keystore}
ssl.keystore.password=${password}
ssl.key.password=${password}
`
}

/** Creates (or re-sets) the SCRAM user through the running broker's plaintext listener; idempotent. */
export function ensureScramUser(
  config: Config,
  paths: KafkaSaslPaths,
  runTool: (mainClass: string, args: string[]) => SpawnSyncReturns<string>
): void {
  const password = secretFile(paths.clientPassword)
  // The password goes through a file (mode 0600), not the command line other users can read in `ps`.
  writeFileSync(paths.scramConfig, `SCRAM-SHA-512=iterations=8192,password=${password}\n`, { mode: 0o600 })
  try {
    const result = runTool('kafka.admin.ConfigCommand', [
      '--bootstrap-server',
      `127.0.0.1:${config.stack.kafkaPort}`,
      '--alter',
      '--entity-type',
      'users',
      '--entity-name',
      LOCAL_SASL_USER,
      '--add-config-file',
      paths.scramConfig
    ])
    if (result.status !== 0) {
      throw new TickbridgeError(
        ErrorCodes.START_FAILED,
        `creating the SCRAM user ${LOCAL_SASL_USER} failed:\n${(result.stdout + result.stderr).replaceAll(password, '[redacted]').slice(-2000)}`,
        {
          hint: 'Check `tickbridge stack logs kafka`; or set TICKBRIDGE_KAFKA_SASL_PORT=0 to go without the listener.'
        }
      )
    }
  } finally {
    rmSync(paths.scramConfig, { force: true })
  }
}
