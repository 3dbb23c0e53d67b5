import type { Heartbeat } from '../core/heartbeat.ts'
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
  return [
    `instances: ${totals.instances.alive} alive, ${totals.instances.dead} dead`,
    `feeds ${totals.feedMessagesPerSecond.toLocaleString('en-US')} msg/s -> bridges ${totals.bridgeMessagesPerSecond.toLocaleString('en-US')} msg/s`,
    `lag ${lag.total.toLocaleString('en-US')}`,
    `backpressure ${backpressure.hold ? `ACTIVE (${backpressure.reason ?? ''})` : 'off'}`,
    `rows: ${rows || '-'}`
  ].join('  |  ')
}
