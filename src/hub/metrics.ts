import { Counter, Gauge, type Registry } from 'prom-client'
import { InstanceStates } from '../core/instance-registry.ts'
import { processRegistry } from '../telemetry/metrics.ts'
import type { ClusterView } from './cluster-view.ts'

/** The hub's Prometheus metrics: its own, and the cluster as the heartbeats describe it (tickbridge_cluster_*). */
export function hubRegistry(view: ClusterView): {
  registry: Registry
  heartbeats: Counter
  rejected: Counter
} {
  const registry = processRegistry({})
  const heartbeats = new Counter({
    name: 'tickbridge_hub_heartbeats_received_total',
    help: 'Heartbeats accepted',
    registers: [registry]
  })
  const rejected = new Counter({
    name: 'tickbridge_hub_heartbeats_rejected_total',
    help: 'Heartbeats refused, by reason (unauthorized, invalid)',
    labelNames: ['reason'],
    registers: [registry]
  })
  new Gauge({
    name: 'tickbridge_cluster_instances',
    help: 'Instances known to the hub, by role and state',
    labelNames: ['role', 'state'],
    registers: [registry],
    collect() {
      this.reset()
      for (const role of ['bridge', 'feed'])
        for (const state of Object.values(InstanceStates)) this.set({ role, state }, 0)
      for (const i of view.instances()) this.inc({ role: i.role, state: i.state })
    }
  })
  new Gauge({
    name: 'tickbridge_cluster_backpressure_active',
    help: '1 while the hub tells bridges to hold back (any worker pool)',
    registers: [registry],
    collect() {
      this.set(view.pressure.hold ? 1 : 0)
    }
  })
  new Gauge({
    name: 'tickbridge_cluster_pool_backpressure_active',
    help: "1 while the hub tells a worker pool's bridges to hold back (pool `all`: bridges of every type)",
    labelNames: ['pool'],
    registers: [registry],
    collect() {
      this.reset()
      for (const p of view.pressure.pools()) this.set({ pool: p.pool }, p.hold ? 1 : 0)
    }
  })
  new Gauge({
    name: 'tickbridge_cluster_instance_messages_per_second',
    help: 'Message rate of each alive instance over its last heartbeat interval, by type',
    labelNames: ['instance_id', 'role', 'type'],
    registers: [registry],
    collect() {
      this.reset()
      for (const i of view.instances())
        for (const [type, rate] of Object.entries(i.byType))
          this.set({ instance_id: i.instanceId, role: i.role, type }, rate)
    }
  })
  new Gauge({
    name: 'tickbridge_cluster_instance_buffered_messages',
    help: 'Messages held by each alive bridge',
    labelNames: ['instance_id'],
    registers: [registry],
    collect() {
      this.reset()
      for (const i of view.instances())
        if (i.state === InstanceStates.ALIVE && i.role === 'bridge')
          this.set({ instance_id: i.instanceId }, i.lastHeartbeat.buffer.messages)
    }
  })
  new Gauge({
    name: 'tickbridge_cluster_instance_insert_latency_seconds',
    help: 'Mean ClickHouse insert latency of each alive bridge over its last heartbeat interval',
    labelNames: ['instance_id'],
    registers: [registry],
    collect() {
      this.reset()
      for (const i of view.instances())
        if (i.state === InstanceStates.ALIVE && i.role === 'bridge')
          this.set({ instance_id: i.instanceId }, i.lastHeartbeat.insertLatencyMs.mean / 1000)
    }
  })
  new Gauge({
    name: 'tickbridge_consumer_lag_messages',
    help: 'Bridge consumer group lag per partition (end offset - committed offset), by worker pool and its group',
    labelNames: ['pool', 'group', 'topic', 'partition'],
    registers: [registry],
    collect() {
      this.reset()
      for (const p of view.lag)
        this.set({ pool: p.pool, group: p.group, topic: p.topic, partition: String(p.partition) }, p.lag)
    }
  })
  new Gauge({
    name: 'tickbridge_clickhouse_rows',
    help: 'Rows in each tickbridge ClickHouse table (active parts, before FINAL)',
    labelNames: ['table'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [table, rows] of Object.entries(view.tables)) this.set({ table }, rows)
    }
  })
  return { registry, heartbeats, rejected }
}
