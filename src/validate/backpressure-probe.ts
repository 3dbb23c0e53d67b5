import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Heartbeat } from '../core/heartbeat.ts'
import type { InstanceView } from '../core/instance-registry.ts'
import { ALL_POOL } from '../core/pools.ts'
import { ErrorCodes, TickbridgeError } from '../errors.ts'
import type { CheckResult } from './checks.ts'
import { hubBridges, type PoolUnderTest } from './probes.ts'

const PROBE_ID = 'tickbridge-validate-probe'

const probeId = (pool: PoolUnderTest) => (pool.pool === ALL_POOL ? PROBE_ID : `${PROBE_ID}-${pool.pool}`)
const poolOfView = (i: InstanceView) => i.lastHeartbeat.pool?.name ?? ALL_POOL

function probeHeartbeat(paused: boolean, pool: PoolUnderTest): Heartbeat {
  return {
    v: 1,
    role: 'bridge',
    instanceId: probeId(pool),
    // A probe of a worker pool is one of its bridges: only that pool should hold back.
    ...(pool.pool === ALL_POOL ? {} : { pool: { name: pool.pool, group: pool.group, topics: [] } }),
    pid: process.pid,
    host: hostname(),
    startedAt: Date.now(),
    sentAt: Date.now(),
    messages: {},
    inserted: {},
    inserts: 0,
    insertLatencyMs: { mean: 0, max: 0 },
    deadLettered: 0,
    errors: 0,
    buffer: { messages: paused ? 1 : 0, capacity: 1 },
    partitions: [],
    pressure: {
      local: paused ? 'paused' : 'flowing',
      effective: paused ? 'paused' : 'flowing',
      transitions: 0
    }
  }
}

/**
 * Plays an instance past its high watermark (a probe heartbeat) and measures how long every alive bridge takes
 * to pause, then to resume once the probe reports clear; the probe is removed from the hub afterwards.
 * Ingestion pauses for a few seconds while this runs. With worker pools, once per pool: the probe is one of
 * that pool's bridges, its bridges must pause and the other pools' must keep flowing (the hub holds no
 * other pool back).
 */
export async function backpressureProbe(
  hubUrl: string,
  token: string,
  pools: PoolUnderTest[] = [{ pool: ALL_POOL, group: '', topics: [] }],
  timeoutMs = 10_000
): Promise<CheckResult> {
  const evidence: string[] = []
  for (const pool of pools) {
    const outcome = await probePool(hubUrl, token, pool, timeoutMs)
    const named = pools.length === 1 && pool.pool === ALL_POOL ? '' : `pool ${pool.pool}: `
    if (outcome.result !== 'pass') return { ...outcome, evidence: `${named}${outcome.evidence}` }
    evidence.push(`${named}${outcome.evidence}`)
  }
  return { check: 'backpressure', result: 'pass', evidence: evidence.join(' | ') }
}

async function probePool(
  hubUrl: string,
  token: string,
  pool: PoolUnderTest,
  timeoutMs: number
): Promise<CheckResult> {
  const id = probeId(pool)
  const send = (paused: boolean) =>
    fetch(`${hubUrl}/api/heartbeats`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(probeHeartbeat(paused, pool)),
      signal: AbortSignal.timeout(2_000)
    })
  // Bridges of other pools the hub holds back (paused although their own watermarks are clear).
  let heldElsewhere: string[] = []
  const phase = async (paused: boolean): Promise<{ ms: number; lagging: string[] }> => {
    const started = Date.now()
    let lagging: string[] = []
    while (Date.now() - started < timeoutMs) {
      const response = await send(paused)
      if (response.status === 401)
        throw new TickbridgeError(
          ErrorCodes.HUB_TOKEN_REFUSED,
          'the hub refused the token: run validate with the same HUB_TOKEN',
          {
            hint: 'Give validate the HUB_TOKEN the hub runs with (a local hub: the same TICKBRIDGE_HOME, whose hub.token it shares).'
          }
        )
      const alive = (await hubBridges(hubUrl)).filter(
        (b) => b.state === 'alive' && !b.instanceId.startsWith(PROBE_ID)
      )
      const bridges = alive.filter((b) => poolOfView(b) === pool.pool)
      heldElsewhere = alive
        .filter((b) => poolOfView(b) !== pool.pool)
        .filter(
          (b) =>
            b.lastHeartbeat.pressure.effective === 'paused' && b.lastHeartbeat.pressure.local !== 'paused'
        )
        .map((b) => b.instanceId)
      lagging = bridges
        .filter((b) => (b.lastHeartbeat.pressure.effective === 'paused') !== paused)
        .map((b) => b.instanceId)
      if (bridges.length > 0 && lagging.length === 0 && heldElsewhere.length === 0)
        return { ms: Date.now() - started, lagging }
      await sleep(250)
    }
    return { ms: Date.now() - started, lagging }
  }
  try {
    const pause = await phase(true)
    if (pause.lagging.length || heldElsewhere.length) {
      return {
        check: 'backpressure',
        result: 'fail',
        evidence: pause.lagging.length
          ? `did not pause within ${timeoutMs / 1000} s: ${pause.lagging.join(', ')}`
          : `held back bridges of other pools too: ${heldElsewhere.join(', ')}`
      }
    }
    const resume = await phase(false)
    if (resume.lagging.length) {
      return {
        check: 'backpressure',
        result: 'fail',
        evidence: `paused together in ${pause.ms} ms but did not resume within ${timeoutMs / 1000} s: ${resume.lagging.join(', ')}`
      }
    }
    const others = pool.pool === ALL_POOL ? '' : ' (the other pools kept flowing)'
    return {
      check: 'backpressure',
      result: 'pass',
      evidence: `a probe past its watermark paused every bridge${pool.pool === ALL_POOL ? '' : ' of the pool'} in ${pause.ms} ms${others}; all resumed ${resume.ms} ms after it cleared`
    }
  } finally {
    await fetch(`${hubUrl}/api/instances/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` }
    }).catch(() => undefined)
  }
}
