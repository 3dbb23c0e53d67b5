import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { ComponentStatus } from '../../src/stack/stack.ts'
import { isAlive, portOpen } from '../../src/stack/processes.ts'
import { loadConfig } from '../../src/config/load.ts'
import { runCli } from '../helpers/cli.ts'

const shared = loadConfig(process.env, '/nonexistent/.env')

// A second, throw-away local stack on its own ports and home, so the shared test stack is never touched.
const ports = { kafka: 19192, controller: 19193, http: 18223, tcp: 19100, nats: 19222 }

function isolatedEnv(home: string): Record<string, string> {
  return {
    TICKBRIDGE_HOME: home,
    TICKBRIDGE_KAFKA_PORT: String(ports.kafka),
    TICKBRIDGE_KAFKA_CONTROLLER_PORT: String(ports.controller),
    // No SASL_SSL listener: its default port is the shared stack's (test/kafka/sasl.int.test.ts covers it).
    TICKBRIDGE_KAFKA_SASL_PORT: '0',
    TICKBRIDGE_CLICKHOUSE_HTTP_PORT: String(ports.http),
    TICKBRIDGE_CLICKHOUSE_TCP_PORT: String(ports.tcp),
    TICKBRIDGE_NATS_PORT: String(ports.nats),
    TICKBRIDGE_KAFKA_HEAP: '384m',
    KAFKA_BROKERS: '',
    CLICKHOUSE_URL: '',
    NATS_URL: ''
  }
}

function parseStatus(stdout: string): ComponentStatus[] {
  return JSON.parse(stdout) as ComponentStatus[]
}

test('stack up is idempotent, status reports it, down stops exactly what up started', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'tickbridge-stack-'))
  const env = isolatedEnv(home)
  t.after(async () => {
    await runCli(['stack', 'down'], env)
    rmSync(home, { recursive: true, force: true })
  })

  const up = await runCli(['stack', 'up', '--json'], env)
  assert.equal(up.code, 0, up.stderr)
  const first = parseStatus(up.stdout)
  for (const component of first) {
    assert.equal(component.healthy, true, `${component.name} healthy`)
    assert.equal(component.mode, 'local')
    assert.ok(component.pid && isAlive(component.pid), `${component.name} pid alive`)
  }
  assert.match(first.find((c) => c.name === 'kafka')?.version ?? '', /^4\./)
  assert.match(first.find((c) => c.name === 'clickhouse')?.version ?? '', /^\d+\.\d+/)
  assert.match(first.find((c) => c.name === 'nats')?.version ?? '', /^\d+\.\d+/, 'NATS with JetStream')

  const again = await runCli(['stack', 'up', '--json'], env)
  assert.equal(again.code, 0, again.stderr)
  assert.match(again.stderr, /Kafka already running/)
  assert.match(again.stderr, /ClickHouse already running/)
  assert.match(again.stderr, /NATS already running/)
  assert.deepEqual(
    parseStatus(again.stdout).map((c) => c.pid),
    first.map((c) => c.pid),
    'second up reuses the same processes'
  )
  // A broker started without the SASL_SSL listener (as by an older tickbridge) is kept, and the way to add it said.
  const withSasl = await runCli(['stack', 'up'], { ...env, TICKBRIDGE_KAFKA_SASL_PORT: '19194' })
  assert.equal(withSasl.code, 0, withSasl.stderr)
  assert.match(
    withSasl.stderr,
    /Kafka runs without the SASL_SSL listener .*stack down && tickbridge stack up/
  )

  const status = await runCli(['stack', 'status'], env)
  assert.equal(status.code, 0)
  assert.match(status.stdout, /kafka\s+local\s+healthy/)
  assert.match(status.stdout, /clickhouse\s+local\s+healthy/)
  assert.match(status.stdout, /nats\s+local\s+healthy/)

  const down = await runCli(['stack', 'down'], env)
  assert.equal(down.code, 0, down.stderr)
  assert.match(down.stdout, /stopped kafka \(pid \d+\), clickhouse \(pid \d+\), nats \(pid \d+\)/)
  for (const component of first)
    assert.equal(isAlive(component.pid as number), false, `${component.name} stopped`)
  assert.equal(await portOpen(ports.kafka), false)
  assert.equal(await portOpen(ports.http), false)
  assert.equal(await portOpen(ports.nats), false)

  const after = await runCli(['stack', 'status'], env)
  assert.equal(after.code, 1, 'status exits 1 when the stack is down')
  assert.match(after.stdout, /kafka\s+local\s+DOWN/)
  const downAgain = await runCli(['stack', 'down'], env)
  assert.match(downAgain.stdout, /nothing of the local stack was running/)
})

test('stack up names a port that is already in use and what to do', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'tickbridge-port-'))
  // only ClickHouse is local here
  const env = {
    ...isolatedEnv(home),
    KAFKA_BROKERS: shared.kafka.brokers.join(','),
    NATS_URL: shared.nats.url
  }
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.listen(ports.http, '127.0.0.1', resolve))
  t.after(async () => {
    blocker.close()
    await runCli(['stack', 'down'], env)
    rmSync(home, { recursive: true, force: true })
  })
  const up = await runCli(['stack', 'up'], env)
  assert.equal(up.code, 1)
  assert.match(up.stderr, new RegExp(`TB_PORT_IN_USE.*Port ${ports.http}`))
  assert.match(up.stderr, /TICKBRIDGE_CLICKHOUSE_HTTP_PORT/)
})

test('a half-formatted Kafka data dir is refused with a way out', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'tickbridge-half-'))
  // only Kafka is local here
  const env = { ...isolatedEnv(home), CLICKHOUSE_URL: shared.clickhouse.url, NATS_URL: shared.nats.url }
  mkdirSync(join(home, 'kafka', 'data'), { recursive: true })
  writeFileSync(join(home, 'kafka', 'data', 'bootstrap.checkpoint'), 'partial')
  t.after(async () => {
    await runCli(['stack', 'down'], env)
    rmSync(home, { recursive: true, force: true })
  })
  const up = await runCli(['stack', 'up'], env)
  assert.equal(up.code, 1)
  assert.match(up.stderr, /TB_KAFKA_STORAGE_INVALID/)
  assert.match(up.stderr, /stack down --purge/)
})

/** Only NATS is local in these: Kafka and ClickHouse are the shared test stack's. */
function natsOnlyEnv(home: string, natsPort: number): Record<string, string> {
  return {
    ...isolatedEnv(home),
    KAFKA_BROKERS: shared.kafka.brokers.join(','),
    CLICKHOUSE_URL: shared.clickhouse.url,
    TICKBRIDGE_NATS_PORT: String(natsPort)
  }
}

test('stack up uses a NATS with JetStream already listening on its port, and stack down leaves it alone', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'tickbridge-nats-'))
  // The shared stack's NATS: started by another stack home (or a system service), so not this stack's own.
  const env = natsOnlyEnv(home, Number(new URL(shared.nats.url).port || 4222))
  t.after(() => rmSync(home, { recursive: true, force: true }))
  const up = await runCli(['stack', 'up', '--json'], env)
  assert.equal(up.code, 0, up.stderr)
  assert.match(
    up.stderr,
    /NATS .*with JetStream already listens on 127\.0\.0\.1:\d+ \(not started here\): using it/
  )
  const nats = parseStatus(up.stdout).find((c) => c.name === 'nats')
  assert.equal(nats?.healthy, true)
  assert.equal(nats?.mode, 'external', 'not started by this stack')
  assert.equal(nats?.pid, null)
  const down = await runCli(['stack', 'down'], env)
  assert.match(down.stdout, /nothing of the local stack was running/)
  assert.equal(await portOpen(Number(new URL(shared.nats.url).port || 4222)), true, 'still running')
})

test('stack up refuses a NATS port taken by something that is not NATS', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'tickbridge-natsport-'))
  const env = natsOnlyEnv(home, ports.nats)
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.listen(ports.nats, '127.0.0.1', resolve))
  t.after(async () => {
    blocker.close()
    await runCli(['stack', 'down'], env)
    rmSync(home, { recursive: true, force: true })
  })
  const up = await runCli(['stack', 'up'], env)
  assert.equal(up.code, 1)
  assert.match(up.stderr, new RegExp(`TB_PORT_IN_USE.*Port ${ports.nats}`))
  assert.match(up.stderr, /TICKBRIDGE_NATS_PORT/)
})
