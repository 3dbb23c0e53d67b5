import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { test } from 'node:test'
import { buildConfig, validateSettings } from '../../src/config/load.ts'
import { ErrorCodes, isRetriable, TickbridgeError } from '../../src/errors.ts'
import { connectionSecurity, javaClientProperties, kafkaSecurityError } from '../../src/kafka/security.ts'

const host = { hostname: 'h', pid: 1, projectRoot: '/p', isTTY: false }
const kafkaOf = (env: Record<string, string>) => buildConfig(validateSettings(env), host).kafka
const PASSWORD = 'pa55-w0rd-never-printed'

test('PLAINTEXT (the default) adds neither TLS nor SASL: plain connections as before', () => {
  assert.deepEqual(connectionSecurity(kafkaOf({})), {})
})

test('SASL_SSL: TLS with the CA file, and a SASL login whose password the options never hold as text', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-sec-'))
  writeFileSync(join(dir, 'ca.pem'), 'CA PEM')
  const kafka = kafkaOf({
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
    KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256',
    KAFKA_SASL_USERNAME: 'alice',
    KAFKA_SASL_PASSWORD: PASSWORD,
    KAFKA_SSL_CA_FILE: join(dir, 'ca.pem')
  })
  const security = connectionSecurity(kafka)
  assert.equal(security.tls?.ca?.toString(), 'CA PEM')
  assert.equal(security.tls?.rejectUnauthorized, true)
  assert.equal(security.sasl?.mechanism, 'SCRAM-SHA-256')
  assert.equal(security.sasl?.username, 'alice')
  assert.equal(typeof security.sasl?.password, 'function')
  assert.equal((security.sasl?.password as () => string)(), PASSWORD)
  for (const printed of [JSON.stringify(security), inspect(security, { depth: 9 })]) {
    assert.ok(!printed.includes(PASSWORD), printed)
  }
})

test('the password in the config prints as [redacted] in JSON, inspect and strings', () => {
  const kafka = kafkaOf({ KAFKA_SASL_PASSWORD: PASSWORD })
  for (const printed of [
    JSON.stringify(kafka),
    inspect(kafka, { depth: 9 }),
    `${String(kafka.saslPassword)}`
  ]) {
    assert.ok(!printed.includes(PASSWORD), printed)
    assert.match(printed, /\[redacted\]/)
  }
  assert.equal(kafka.saslPassword.reveal(), PASSWORD)
})

test('KAFKA_SASL_PASSWORD_FILE is read (trimmed) when KAFKA_SASL_PASSWORD is empty', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-sec-'))
  writeFileSync(join(dir, 'pw'), `${PASSWORD}\n`)
  const security = connectionSecurity(
    kafkaOf({
      KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
      KAFKA_SASL_USERNAME: 'bob',
      KAFKA_SASL_PASSWORD_FILE: join(dir, 'pw')
    })
  )
  assert.equal(security.tls, undefined)
  assert.equal((security.sasl?.password as () => string)(), PASSWORD)
})

test('missing pieces are configuration errors naming the setting', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_PASSWORD: 'x' }, /KAFKA_SASL_USERNAME/],
    [{ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_USERNAME: 'u' }, /KAFKA_SASL_PASSWORD/],
    [{ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CERT_FILE: '/x.pem' }, /KAFKA_SSL_KEY_FILE/],
    [{ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_FILE: '/nonexistent/ca.pem' }, /KAFKA_SSL_CA_FILE/]
  ]
  for (const [env, message] of cases) {
    assert.throws(
      () => connectionSecurity(kafkaOf(env)),
      (error: unknown) =>
        error instanceof TickbridgeError &&
        error.code === ErrorCodes.CONFIG_INVALID &&
        message.test(error.message)
    )
  }
  assert.throws(() => kafkaOf({ KAFKA_SASL_MECHANISM: 'GSSAPI' }), /KAFKA_SASL_MECHANISM/)
})

test('a refused login or a certificate that does not verify becomes a coded, final error naming the settings', () => {
  const refused = Object.assign(new Error('SASL authentication failed.'), {
    code: 'PLT_KFK_AUTHENTICATION',
    cause: Object.assign(new Error('Received response with error'), { apiId: 'SASL_AUTHENTICATION_FAILED' })
  })
  const wrapped = new TickbridgeError(ErrorCodes.KAFKA_UNAVAILABLE, 'Kafka is not answering', {
    cause: { errors: [refused] },
    retriable: true
  })
  const auth = kafkaSecurityError(wrapped)
  assert.equal(auth?.code, ErrorCodes.KAFKA_AUTH_FAILED)
  assert.match(auth?.hint ?? '', /KAFKA_SASL_USERNAME.*KAFKA_SASL_PASSWORD/)
  assert.equal(isRetriable(wrapped), false, 'a wrong password is not retried')
  const tls = kafkaSecurityError(
    Object.assign(new Error('self-signed'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' })
  )
  assert.equal(tls?.code, ErrorCodes.KAFKA_TLS_FAILED)
  assert.match(tls?.hint ?? '', /KAFKA_SSL_CA_FILE/)
  assert.equal(kafkaSecurityError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })), null)
})

test('TICKBRIDGE_CLUSTER points the default brokers at the 3 local cluster brokers; KAFKA_BROKERS still wins', () => {
  assert.deepEqual(kafkaOf({ TICKBRIDGE_CLUSTER: 'true' }).brokers, [
    '127.0.0.1:9192',
    '127.0.0.1:9193',
    '127.0.0.1:9194'
  ])
  assert.deepEqual(kafkaOf({ TICKBRIDGE_CLUSTER: 'true', KAFKA_BROKERS: 'k:1' }).brokers, ['k:1'])
})

test("Kafka's own tools get the same security as a client properties file, quotes in the password escaped", () => {
  assert.equal(javaClientProperties(kafkaOf({})), null)
  const properties = javaClientProperties(
    kafkaOf({
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_MECHANISM: 'PLAIN',
      KAFKA_SASL_USERNAME: 'key',
      KAFKA_SASL_PASSWORD: 'se"cr\\et'
    })
  )
  // As the file holds it: properties escaping (\\ for \) around JAAS escaping (\" and \\).
  assert.equal(
    properties,
    'security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\n' +
      'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required ' +
      String.raw`username="key" password="se\\"cr\\\\et";` +
      '\n'
  )
})
