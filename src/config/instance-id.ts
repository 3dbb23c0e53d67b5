/**
 * The default identity of a process when INSTANCE_ID is not given. Two processes must never share one: the hub
 * would merge them into one row and `validate` fails on duplicates. Pure: host and pid are passed in.
 */
export interface InstanceIdInputs {
  role: 'bridge'
  /** INSTANCE_ID, '' when unset. */
  id: string
  /** INSTANCE_ORDINAL, undefined when unset. */
  ordinal: number | undefined
  hostname: string
  pid: number
  /** The bridge's pool when it is not `all` (bridges of every type): part of the default id. */
  pool?: string
}

/** A hostname ending in an ordinal: a StatefulSet pod (`tickbridge-bridge-2`) or a named container (`…_2`). */
const ORDINAL_HOST = /^(.*?)[-_](\d+)$/

export function defaultInstanceIdentity(inputs: InstanceIdInputs): { instanceId: string; ordinal: number } {
  const fromHost = ORDINAL_HOST.exec(inputs.hostname)
  const hostOrdinal = fromHost ? Number(fromHost[2]) : undefined
  const ordinal = inputs.ordinal ?? hostOrdinal ?? 1
  if (inputs.id) return { instanceId: inputs.id, ordinal }
  // Pools count their own ordinals: tickbridge-bridge-trades-1 beside tickbridge-bridge-depth-1.
  const prefix = `tickbridge-${inputs.role}${inputs.pool ? `-${inputs.pool}` : ''}`
  // An explicit ordinal is the local supervisor's (`tickbridge start`/`scale`) or the operator's choice.
  if (inputs.ordinal !== undefined) return { instanceId: `${prefix}-${inputs.ordinal}`, ordinal }
  if (fromHost) return { instanceId: inputs.hostname.toLowerCase().replace(/_/g, '-'), ordinal }
  return { instanceId: `${prefix}-${inputs.hostname.toLowerCase()}-${inputs.pid}`, ordinal }
}
