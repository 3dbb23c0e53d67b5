import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { inspect } from 'node:util'
import { test, type TestContext } from 'node:test'
import { startBridge } from '../../src/bridge/run.ts'
import { loadConfig } from '../../src/config/load.ts'
import { ErrorCodes, TickbridgeError } from '../../src/errors.ts'
import { startFeed } from '../../src/feed/run.ts'
import { kafkaPaths } from '../../src/stack/kafka-server.ts'
import { kafkaSaslPaths, LOCAL_SASL_USER } from '../../src/stack/kafka-sasl.ts'
import { runCli } from '../helpers/cli.ts'
import { waitStoredTrades } from '../helpers/clickhouse-rows.ts'
import { feedWithLocalExchange } from '../helpers/feed.ts'
import { configWith, hubEvents, hubInstances, startTestHub } from '../helpers/hub.ts'
import { capturedLog } from '../helpers/logs.ts'
import {
  eventually,
  produce,
  silentLog,
  testEnv,
  waitCommittedToEnd,
  type TestEnv
} from '../helpers/stack.ts'
import { tradeBatches } from '../helpers/trade-messages.ts'

// Integration: the local stack's SASL_SSL listener (TICKBRIDGE_KAFKA_SASL_PORT): TLS with the stack's CA, a
// SCRAM-SHA-512 login, the real broker refusing a wrong password.

interface Secured {
  vars: Record<string, string>
  env: TestEnv
  password: string
}

/** This test's topics and database, reached through the SASL_SSL listener with the stack's user and CA. */
async function securedEnv(t: TestContext, password?: string): Promise<Secured | null> {
  const plain = await testEnv(t)
  if (plain.config.kafka.external) {
    t.skip('KAFKA_BROKERS points at an external Kafka: the local SASL_SSL listener is not there')
    return null
  }
  const files = kafkaSaslPaths(kafkaPaths(plain.config).dir)
  assert.ok(
    plain.config.stack.kafkaSaslPort > 0 && existsSync(files.clientPassword),
    `the local stack has no SASL_SSL listener (${files.clientPassword}): restart it with this code (\`tickbridge stack down && tickbridge stack up\`)`
  )
  const vars = {
    ...plain.vars,
    KAFKA_BROKERS: `127.0.0.1:${plain.config.stack.kafkaSaslPort}`,
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
    KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
    KAFKA_SASL_USERNAME: LOCAL_SASL_USER,
    KAFKA_SSL_CA_FILE: files.ca,
    ...(password === undefined
      ? { KAFKA_SASL_PASSWORD_FILE: files.clientPassword }
      : { KAFKA_SASL_PASSWORD: password })
  }
  const config = loadConfig({ ...process.env, ...vars }, '/nonexistent/.env')
  return {
    vars,
    env: { ...plain, vars, config },
    password: password ?? readFileSync(files.clientPassword, 'utf8').trim()
  }
}

test('feed and bridge over SASL_SSL/SCRAM deliver every row; the password is in no log, heartbeat, status or dump', async (t) => {
  const secured = await securedEnv(t)
  if (!secured) return
  const { env, password } = secured
  const { config } = env
  const captured = capturedLog()
  const debugLog = captured.log.child({})
  debugLog.level = 'debug'

  // A hub (its lag poller is a Kafka client too), a producer, then a bridge heartbeating to the hub, all over
  // the secured listener.
  const { hub, logs: hubLogs, instanceVars } = await startTestHub(t, env)
  const N = 3_000
  await produce(config, tradeBatches(config, 7)(N))
  const bridge = await startBridge(configWith(env, instanceVars), debugLog)
  t.after(() => bridge.stop())
  await waitStoredTrades(env, N, { timeoutMs: 30_000 })

  // A feed over the same listener: its trades land too.
  const { feed, sockets } = await feedWithLocalExchange(t, env)
  const at = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000).toISOString()
  for (let i = 0; i < 20; i++) {
    sockets[0]?.send(
      JSON.stringify([
        'BTCUSDT@trade',
        { isBuyOrder: true, quantity: `0.${i + 1}`, price: '98000.5', timestamp: at }
      ])
    )
  }
  await eventually(
    async () => feed.publisher.counts.get('trade') === 20,
    () => `feed produced ${feed.publisher.counts.get('trade')}`,
    10_000
  )
  await feed.publisher.flush()
  await waitStoredTrades(env, N + 20, { timeoutMs: 30_000 })
  await waitCommittedToEnd(env, [config.topics.trades], 30_000)

  await eventually(
    async () => (await hubInstances(hub.url)).some((i) => i.role === 'bridge'),
    () => 'the bridge never reached the hub',
    10_000
  )
  const status = await runCli(['status', '--json'], { ...secured.vars, ...instanceVars }, 30_000)
  assert.equal(status.code, 0, status.stderr)
  const dumps = [
    captured.text(),
    hubLogs(),
    JSON.stringify(await hubInstances(hub.url)),
    JSON.stringify(await hubEvents(hub.url)),
    status.stdout + status.stderr,
    JSON.stringify(config),
    inspect(config, { depth: 9 })
  ]
  assert.ok(captured.text().length > 0, 'the bridge logged')
  dumps.forEach((dump, i) => assert.ok(!dump.includes(password), `the SASL password appears in dump #${i}`))
})

test('a wrong password is refused at start with TB_KAFKA_AUTH_FAILED naming the settings; the process exits', async (t) => {
  const wrong = 'not-the-password-0451'
  const secured = await securedEnv(t, wrong)
  if (!secured) return
  const { env, vars } = secured

  const refused = (error: unknown) => {
    assert.ok(error instanceof TickbridgeError, String(error))
    assert.equal(error.code, ErrorCodes.KAFKA_AUTH_FAILED)
    assert.match(error.hint ?? '', /KAFKA_SASL_USERNAME.*KAFKA_SASL_PASSWORD/)
    assert.ok(!`${error.message} ${error.hint}`.includes(wrong))
    return true
  }
  await assert.rejects(startBridge(env.config, silentLog), refused)
  await assert.rejects(
    startFeed(
      env.config,
      {
        exchange: 'wallex',
        url: 'ws://127.0.0.1:1/ws',
        protocol: 1,
        symbols: ['BTCUSDT'],
        depthIntervalMs: 7_000,
        instanceId: `t-${env.id}`,
        statsIntervalMs: 0
      },
      silentLog
    ),
    refused
  )

  // The real CLI: exits 1 (no retry loop), says what to check, never prints the password.
  const started = Date.now()
  const cli = await runCli(['bridge'], vars, 60_000)
  assert.equal(cli.code, 1, cli.stderr)
  assert.match(cli.stderr, /TB_KAFKA_AUTH_FAILED/)
  assert.match(cli.stderr, /KAFKA_SASL_PASSWORD/)
  assert.ok(!(cli.stdout + cli.stderr).includes(wrong), 'the wrong password was printed')
  assert.ok(Date.now() - started < 30_000, `took ${Date.now() - started} ms to give up`)
})
