import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { createClickHouse, serverVersion } from '../../src/clickhouse/client.ts'
import { loadConfig } from '../../src/config/load.ts'
import { clickhousePaths, startClickHouseServer } from '../../src/stack/clickhouse-server.ts'
import { stopOwned } from '../../src/stack/processes.ts'
import { freePort } from '../helpers/ports.ts'
import { runCli } from '../helpers/cli.ts'

/** A CA and a server certificate for 127.0.0.1 signed by it, made with openssl (RSA 2048, SHA-256). */
function makeCertificates(dir: string): { ca: string; cert: string; key: string; otherCa: string } {
  const path = (name: string) => join(dir, name)
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' })
  for (const ca of ['ca', 'other-ca'])
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-sha256',
      '-days',
      '2',
      '-subj',
      `/CN=tickbridge test ${ca}`,
      '-keyout',
      path(`${ca}.key`),
      '-out',
      path(`${ca}.crt`)
    )
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-sha256',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    path('server.key'),
    '-out',
    path('server.csr')
  )
  writeFileSync(path('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
  openssl(
    'x509',
    '-req',
    '-in',
    path('server.csr'),
    '-CA',
    path('ca.crt'),
    '-CAkey',
    path('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-sha256',
    '-extfile',
    path('san.ext'),
    '-out',
    path('server.crt')
  )
  return {
    ca: path('ca.crt'),
    cert: path('server.crt'),
    key: path('server.key'),
    otherCa: path('other-ca.crt')
  }
}

test('ClickHouse over HTTPS with a password and a private CA; the password appears in no error', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'tickbridge-https-'))
  const password = `pw-${Date.now().toString(36)}-secret`
  const certs = makeCertificates(home)
  const [httpPort, tcpPort, httpsPort] = [await freePort(), await freePort(), await freePort()]
  const config = loadConfig(
    {
      ...process.env,
      TICKBRIDGE_HOME: home,
      TICKBRIDGE_CLUSTER: 'false',
      CLICKHOUSE_URL: '',
      CLICKHOUSE_PASSWORD: password,
      TICKBRIDGE_CLICKHOUSE_HTTP_PORT: String(httpPort),
      TICKBRIDGE_CLICKHOUSE_TCP_PORT: String(tcpPort)
    },
    '/nonexistent/.env'
  )
  const paths = clickhousePaths(config)
  t.after(async () => {
    await stopOwned(paths.pid, paths.config)
    rmSync(home, { recursive: true, force: true })
  })
  await startClickHouseServer(
    config,
    {
      paths,
      httpPort,
      tcpPort,
      otherPorts: [httpsPort],
      extraXml: `  <https_port>${httpsPort}</https_port>
  <openSSL><server>
    <certificateFile>${certs.cert}</certificateFile>
    <privateKeyFile>${certs.key}</privateKeyFile>
    <verificationMode>none</verificationMode>
    <loadDefaultCAFile>false</loadDefaultCAFile>
    <disableProtocols>sslv2,sslv3,tlsv1,tlsv1_1</disableProtocols>
  </server></openSSL>
`
    },
    () => undefined,
    { what: 'ClickHouse (HTTPS test)', portsHint: '' }
  )
  const url = `https://127.0.0.1:${httpsPort}`
  const settings = { url, urls: [url], user: 'default', password, caFile: certs.ca }

  const client = createClickHouse(settings)
  t.after(() => client.close())
  assert.match(await serverVersion(client), /^\d+\.\d+/, 'a query over HTTPS, verified by the private CA')

  // The same through the CLI, configured only by environment variables.
  const env = {
    CLICKHOUSE_URL: url,
    CLICKHOUSE_PASSWORD: password,
    CLICKHOUSE_CA_FILE: certs.ca,
    CLICKHOUSE_DATABASE: 'https_test'
  }
  const migrated = await runCli(['migrate'], env)
  assert.equal(migrated.code, 0, migrated.stderr)
  assert.match(migrated.stdout + migrated.stderr, /applied 1_trades/)
  assert.ok(!(migrated.stdout + migrated.stderr).includes(password), 'the password is never printed')

  const refusals = [
    {
      what: 'a wrong password',
      settings: { ...settings, password: `${password}-wrong` },
      expect: /password|Authentication|516|192/i
    },
    {
      what: 'a certificate of another CA',
      settings: { ...settings, caFile: certs.otherCa },
      expect: /certificate/i
    },
    { what: 'the system CAs only', settings: { ...settings, caFile: '' }, expect: /certificate/i }
  ]
  for (const refusal of refusals) {
    const wrong = createClickHouse(refusal.settings)
    const error = await serverVersion(wrong).then(
      () => assert.fail(`${refusal.what} was accepted`),
      (e: unknown) => e as Error
    )
    await wrong.close()
    const text = `${error.message} ${String((error.cause as Error | undefined)?.message)}`
    t.diagnostic(`${refusal.what}: ${text.slice(0, 160)}`)
    assert.match(text, refusal.expect, `${refusal.what}: ${text}`)
    assert.ok(!text.includes(password), `${refusal.what}: the error does not show the password`)
  }
  const badCli = await runCli(['migrate'], { ...env, CLICKHOUSE_PASSWORD: `${password}-wrong` })
  assert.notEqual(badCli.code, 0)
  assert.ok(!(badCli.stdout + badCli.stderr).includes(password), 'a refused login prints no password')
})
