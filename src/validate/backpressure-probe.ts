import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Heartbeat } from '../core/heartbeat.ts'
import { ErrorCodes, TickbridgeError } from '../errors.ts'
import type { CheckResult } from './checks.ts'
import { hubBridges } from './probes.ts'

const PROBE_ID = 'tickbridge-validate-probe'

function probeHeartbeat(paused: boolean): Heartbeat {
  return {
    v: 1,
    role: 'bridge',
    instanceId: PROBE_ID,
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
 * Ingestion pauses for a few seconds while this runs.
 */
export async function backpressureProbe(
  hubUrl: string,
  token: string,
  timeoutMs = 10_000
): Promise<CheckResult> {
  const send = (paused: boolean) =>
    fetch(`${hubUrl}/api/heartbeats`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(probeHeartbeat(paused)),
      signal: AbortSignal.timeout(2_000)
    })
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
      const bridges = (await hubBridges(hubUrl)).filter(
        (b) => b.state === 'alive' && b.instanceId !== PROBE_ID
      )
      lagging = bridges
        .filter((b) => (b.lastHeartbeat.pressure.effective === 'paused') !== paused)
        .map((b) => b.instanceId)
      if (bridges.length > 0 && lagging.length === 0) return { ms: Date.now() - started, lagging }
      await sleep(250)
    }
    return { ms: Date.now() - started, lagging }
  }
  try {
    const pause = await phase(true)
    if (pause.lagging.length) {
      return {
        check: 'backpressure',
        result: 'fail',
        evidence: `did not pause within ${timeoutMs / 1000} s: ${pause.lagging.join(', ')}`
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
    return {
      check: 'backpressure',
      result: 'pass',
      evidence: `a probe past its watermark paused every bridge in ${pause.ms} ms; all resumed ${resume.ms} ms after it cleared`
    }
  } finally {
    await fetch(`${hubUrl}/api/instances/${PROBE_ID}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` }
    }).catch(() => undefined)
  }
}
