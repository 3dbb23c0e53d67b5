import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { loadConfig } from '../../src/config/load.ts'
import { resolveHubToken } from '../../src/telemetry/hub-token.ts'
import { advertisedUrl, instanceHubToken } from '../../src/telemetry/instance.ts'

test('heartbeats advertise a /metrics URL others can reach: the named host, or the host name behind a wildcard', () => {
  const listening = 'http://127.0.0.1:9401'
  assert.equal(advertisedUrl(listening, { host: '127.0.0.1', advertiseHost: '' }), listening)
  assert.equal(advertisedUrl(listening, { host: '0.0.0.0', advertiseHost: '' }), `http://${hostname()}:9401`)
  assert.equal(
    advertisedUrl(listening, { host: '0.0.0.0', advertiseHost: 'bridge-2.bridges' }),
    'http://bridge-2.bridges:9401'
  )
})

test('the hub token comes from HUB_TOKEN, else HUB_TOKEN_FILE (which must exist), else the stack home', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-token-'))
  const secret = join(dir, 'secret')
  writeFileSync(secret, 'from-a-secret\n')
  const config = (env: Record<string, string>) =>
    loadConfig({ TICKBRIDGE_HOME: join(dir, 'home'), ...env }, '/nonexistent/.env')
  assert.equal(resolveHubToken(config({ HUB_TOKEN: 'direct', HUB_TOKEN_FILE: secret })), 'direct')
  assert.equal(resolveHubToken(config({ HUB_TOKEN_FILE: secret })), 'from-a-secret')
  assert.throws(
    () => resolveHubToken(config({ HUB_TOKEN_FILE: join(dir, 'missing') })),
    (error: Error & { code?: string }) =>
      error.code === 'TB_CONFIG_INVALID' && /does not exist/.test(error.message)
  )
  const created = resolveHubToken(config({}))
  assert.match(created, /^[A-Za-z0-9_-]{32}$/)
  assert.equal(resolveHubToken(config({})), created, 'created once, then read back')
  assert.deepEqual(readdirSync(join(dir, 'home')), ['hub.token'], 'no draft left beside it')
  assert.equal(statSync(join(dir, 'home', 'hub.token')).mode & 0o777, 0o600)
})

test("a feed's or bridge's hub token is resolved before it starts work; none without a hub", () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-token-'))
  const config = (env: Record<string, string>) =>
    loadConfig({ TICKBRIDGE_HOME: dir, ...env }, '/nonexistent/.env')
  assert.equal(instanceHubToken(config({ HUB_URL: '' })), null)
  assert.equal(instanceHubToken(config({ HUB_URL: 'http://hub:8700', HUB_TOKEN: 'direct' })), 'direct')
  assert.throws(
    () => instanceHubToken(config({ HUB_URL: 'http://hub:8700', HUB_TOKEN_FILE: join(dir, 'unmounted') })),
    { code: 'TB_CONFIG_INVALID' }
  )
})
