import type { Heartbeat } from '../core/heartbeat.ts'
import { ALL_POOL } from '../core/pools.ts'
import type { OpsSnapshot } from './snapshot.ts'

/** "market.trades:0,3 market.depth:0,3" from a list of topic:partition. */
export function summarizePartitions(partitions: string[]): string {
  const byTopic = new Map<string, string[]>()
  for (const tp of partitions) {
    const split = tp.lastIndexOf(':')
    const topic = tp.slice(0, split)
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), tp.slice(split + 1)])
  }
  return [...byTopic].map(([topic, ps]) => `${topic}:${ps.join(',')}`).join(' ')
}

/** One row per instance, as `status` and `monitor` print them. */
export function instanceRows(snapshot: OpsSnapshot) {
  const lagByOwner = new Map<string, number>()
  for (const p of snapshot.cluster?.lag.partitions ?? [])
    if (p.owner) lagByOwner.set(p.owner, (lagByOwner.get(p.owner) ?? 0) + p.lag)
  return snapshot.instances.map((i) => ({
    role: i.role,
    // Bridges that report no pool are bridges of every type: the pool `all`.
    pool: i.role === 'bridge' ? (i.lastHeartbeat.pool?.name ?? ALL_POOL) : '-',
    instance: i.instanceId,
    state: i.state,
    ready: i.ready === null ? '-' : i.ready ? 'yes' : `NO (${i.readyReason ?? '?'})`,
    'msg/s': Math.round(i.messagesPerSecond),
    buffered: buffered(i.lastHeartbeat),
    pressure: i.lastHeartbeat.pressure.effective,
    lag: i.role === 'bridge' ? (lagByOwner.get(i.instanceId) ?? 0) : '-',
    partitions: i.role === 'bridge' ? summarizePartitions(i.lastHeartbeat.partitions) || '(none)' : '-',
    pid: i.lastHeartbeat.pid,
    metrics: i.lastHeartbeat.metricsUrl ?? '-'
  }))
}

/** A bridge's buffer against its capacity; a feed's queue, with what waits on disk (and any loss). */
function buffered(hb: Heartbeat): string {
  if (hb.role === 'bridge') return `${hb.buffer.messages}/${hb.buffer.capacity}`
  const spooled = hb.feed?.spooled ? ` +${hb.feed.spooled} spooled` : ''
  const dropped = hb.feed?.dropped ? ` ${hb.feed.dropped} DROPPED` : ''
  return `${hb.buffer.messages}${spooled}${dropped}`
}

/** The one-line cluster summary under the tables. */
export function clusterLine(snapshot: OpsSnapshot): string {
  if (!snapshot.cluster) return `hub not reachable at ${snapshot.hub.url}: ${snapshot.hub.error ?? ''}`
  const { totals, backpressure, lag, tables } = snapshot.cluster
  const rows = Object.entries(tables)
    .map(([table, n]) => `${table} ${n.toLocaleString('en-US')}`)
    .join(', ')
  // With worker pools, lag and backpressure are per pool (each its own consumer group and decision).
  const pools = lag.pools ?? []
  const pooled = pools.length > 1 || pools.some((p) => p.pool !== ALL_POOL)
  const perPool = pooled
    ? ` (${pools.map((p) => `${p.pool} ${p.lag.toLocaleString('en-US')}`).join(', ')})`
    : ''
  const holding = (backpressure.pools ?? []).filter((p) => p.hold && p.pool !== ALL_POOL)
  const pressure = !backpressure.hold
    ? 'off'
    : holding.length
      ? `ACTIVE in ${holding.map((p) => `pool ${p.pool} (${p.reason ?? ''})`).join(', ')}`
      : `ACTIVE (${backpressure.reason ?? ''})`
  return [
    `instances: ${totals.instances.alive} alive, ${totals.instances.dead} dead`,
    `feeds ${totals.feedMessagesPerSecond.toLocaleString('en-US')} msg/s -> bridges ${totals.bridgeMessagesPerSecond.toLocaleString('en-US')} msg/s`,
    `lag ${lag.total.toLocaleString('en-US')}${perPool}`,
    `backpressure ${pressure}`,
    `rows: ${rows || '-'}`
  ].join('  |  ')
}
