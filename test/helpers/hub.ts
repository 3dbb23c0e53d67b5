import type { TestContext } from 'node:test'
import { loadConfig } from '../../src/config/load.ts'
import type { Config } from '../../src/config/types.ts'
import type { Heartbeat } from '../../src/core/heartbeat.ts'
import type { HubEvent, InstanceView } from '../../src/core/instance-registry.ts'
import { startHub, type RunningHub } from '../../src/hub/run.ts'
import { capturedLog } from './logs.ts'
import { killAll, spawnBridge, type BridgeProcess } from './processes.ts'
import type { TestEnv } from './stack.ts'

/** The test env's config with extra variables (e.g. a bridge's HUB_URL). */
export function configWith(env: TestEnv, extra: Record<string, string>): Config {
  return loadConfig({ ...process.env, ...env.vars, ...extra }, '/nonexistent/.env')
}

export const TEST_HUB_TOKEN = 'test-hub-token-3f9c1a'

/** A hub on a free port for this test's topics and database, with a known token; stopped after the test. */
export async function startTestHub(
  t: TestContext,
  env: TestEnv,
  extra: Record<string, string> = {}
): Promise<{ hub: RunningHub; logs: () => string; instanceVars: Record<string, string> }> {
  const { log, text } = capturedLog()
  const hub = await startHub(configWith(env, { HUB_TOKEN: TEST_HUB_TOKEN, ...extra }), log, 0)
  t.after(() => hub.stop())
  return {
    hub,
    logs: text,
    instanceVars: { HUB_URL: hub.url, HUB_TOKEN: TEST_HUB_TOKEN, HEARTBEAT_INTERVAL_MS: '500' }
  }
}

export async function hubInstances(url: string): Promise<InstanceView[]> {
  return (await (await fetch(`${url}/api/instances`)).json()) as InstanceView[]
}

export async function hubEvents(url: string): Promise<HubEvent[]> {
  return (await (await fetch(`${url}/api/events`)).json()) as HubEvent[]
}

/** A valid bridge heartbeat, for tests that play an instance. */
export function fakeHeartbeat(instanceId: string, overrides: Partial<Heartbeat> = {}): Heartbeat {
  return {
    v: 1,
    role: 'bridge',
    instanceId,
    pid: 4242,
    host: 'test-host',
    startedAt: Date.now() - 10_000,
    sentAt: Date.now(),
    messages: { trade: 10 },
    inserted: { trades: 10 },
    inserts: 1,
    insertLatencyMs: { mean: 12, max: 12 },
    deadLettered: 0,
    errors: 0,
    buffer: { messages: 0, capacity: 50_000 },
    partitions: [],
    pressure: { local: 'flowing', effective: 'flowing', transitions: 0 },
    ...overrides
  }
}

export async function postHeartbeat(
  url: string,
  heartbeat: unknown,
  token: string | null
): Promise<Response> {
  return fetch(`${url}/api/heartbeats`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === null ? {} : { authorization: `Bearer ${token}` })
    },
    body: JSON.stringify(heartbeat)
  })
}

/** A hub (dead after `deadAfterMs`) and `count` real bridge processes reporting to it; all stopped after the test. */
export async function hubWithBridges(
  t: TestContext,
  env: TestEnv,
  count: number,
  deadAfterMs: number
): Promise<{ hub: RunningHub; bridges: BridgeProcess[]; ids: string[] }> {
  const { hub, instanceVars } = await startTestHub(t, env, { HUB_DEAD_AFTER_MS: String(deadAfterMs) })
  const ordinals = Array.from({ length: count }, (_, i) => i + 1)
  const bridges = ordinals.map((n) => spawnBridge(env, n, instanceVars))
  t.after(() => killAll(bridges))
  return { hub, bridges, ids: ordinals.map((n) => `test-${env.id}-${n}`) }
}
