import type { OpsSnapshot } from './snapshot.ts'

/** Health checks over a snapshot (pure): each names what is wrong and what to do. */
export interface HealthCheck {
  check: string
  ok: boolean
  detail: string
}

export function healthChecks(snapshot: OpsSnapshot): HealthCheck[] {
  const checks: HealthCheck[] = snapshot.stack.map((c) => ({
    check: c.name,
    ok: c.healthy,
    detail: c.healthy
      ? `${c.endpoint} ${c.version ?? ''}`.trim()
      : `down at ${c.endpoint}: run \`tickbridge stack up\``
  }))
  checks.push({
    check: 'hub',
    ok: snapshot.hub.reachable,
    detail: snapshot.hub.reachable
      ? snapshot.hub.url
      : `not reachable at ${snapshot.hub.url} (${snapshot.hub.error ?? 'no answer'}): run \`tickbridge start\` or \`tickbridge hub\``
  })
  for (const i of snapshot.instances) {
    const ok = i.state === 'alive' && i.ready !== false
    checks.push({
      check: `${i.role} ${i.instanceId}`,
      ok,
      detail:
        i.state !== 'alive'
          ? `no heartbeat for ${Math.round((snapshot.at - i.lastSeen) / 1000)} s: see \`tickbridge logs ${i.instanceId}\``
          : i.ready === false
            ? `not ready: ${i.readyReason ?? 'unknown'}`
            : `alive${i.ready ? ', ready' : ''}`
    })
  }
  if (snapshot.hub.reachable && !snapshot.instances.some((i) => i.role === 'bridge' && i.state === 'alive')) {
    checks.push({
      check: 'bridges',
      ok: false,
      detail: 'no bridge is alive: run `tickbridge scale N` or `tickbridge start`'
    })
  }
  return checks
}
