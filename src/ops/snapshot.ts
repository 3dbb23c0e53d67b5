import type { Config } from '../config/types.ts'
import type { InstanceView } from '../core/instance-registry.ts'
import { ErrorCodes, TickbridgeError } from '../errors.ts'
import type { ClusterView } from '../hub/cluster-view.ts'
import { stackStatus, type ComponentStatus } from '../stack/stack.ts'

/** What `status`, `health` and `monitor` show: the stack, the hub's view, and each instance's own /readyz. */
export interface OpsSnapshot {
  at: number
  stack: ComponentStatus[]
  hub: { url: string; reachable: boolean; error?: string }
  cluster: ReturnType<ClusterView['cluster']> | null
  instances: (InstanceView & { ready: boolean | null; readyReason?: string })[]
}

const TIMEOUT_MS = 2_000

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) })
  if (!response.ok)
    throw new TickbridgeError(ErrorCodes.HUB_UNAVAILABLE, `${url} answered ${response.status}`, {
      retriable: true,
      hint: 'Is the hub running (`tickbridge start`, or `tickbridge hub`)? Check HUB_URL or --hub.'
    })
  return (await response.json()) as T
}

async function readiness(instance: InstanceView): Promise<{ ready: boolean | null; readyReason?: string }> {
  const base = instance.lastHeartbeat.metricsUrl
  if (instance.state !== 'alive' || !base) return { ready: null }
  try {
    const response = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(TIMEOUT_MS) })
    const body = (await response.json()) as { reason?: string }
    return { ready: response.ok, ...(body.reason ? { readyReason: body.reason } : {}) }
  } catch (error) {
    return { ready: false, readyReason: (error as Error).message }
  }
}

export async function opsSnapshot(
  config: Config,
  hubUrl = config.hub.url || defaultHubUrl(config)
): Promise<OpsSnapshot> {
  const [stack, hub] = await Promise.all([
    stackStatus(config),
    Promise.all([
      getJson<InstanceView[]>(`${hubUrl}/api/instances`),
      getJson<ReturnType<ClusterView['cluster']>>(`${hubUrl}/api/cluster`)
    ]).then(
      ([instances, cluster]) => ({ instances, cluster, error: undefined }),
      (error: unknown) => ({ instances: [], cluster: null, error: (error as Error).message })
    )
  ])
  const instances = await Promise.all(hub.instances.map(async (i) => ({ ...i, ...(await readiness(i)) })))
  return {
    at: Date.now(),
    stack,
    hub: { url: hubUrl, reachable: hub.error === undefined, ...(hub.error ? { error: hub.error } : {}) },
    cluster: hub.cluster,
    instances
  }
}

export function defaultHubUrl(config: Config): string {
  return `http://127.0.0.1:${config.hub.port}`
}
