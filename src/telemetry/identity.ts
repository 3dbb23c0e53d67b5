import { hostname } from 'node:os'

/** Who is sending heartbeats: fixed for the life of the process. */
export interface ProcessIdentity {
  instanceId: string
  pid: number
  host: string
  startedAt: number
}

export function processIdentity(instanceId: string): ProcessIdentity {
  return { instanceId, pid: process.pid, host: hostname(), startedAt: Date.now() }
}
