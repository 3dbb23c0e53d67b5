import { Gauge, Histogram, type Registry } from 'prom-client'
import { mirroredCounter, processRegistry } from '../telemetry/metrics.ts'
import type { BridgeWorker } from './worker.ts'
import type { KafkaSource } from './kafka-source.ts'
import type { NatsSource } from './nats-source.ts'

/** The bridge's Prometheus metrics (tickbridge_bridge_*), read from its worker at scrape time. */
export function bridgeRegistry(
  instanceId: string,
  worker: BridgeWorker,
  source: KafkaSource,
  nats: NatsSource | null = null
): Registry {
  const registry = processRegistry({ role: 'bridge', instance_id: instanceId })
  const stats = worker.stats
  mirroredCounter(
    registry,
    {
      name: 'tickbridge_bridge_messages_received_total',
      help: 'Messages read from Kafka, by canonical type',
      labelNames: ['type']
    },
    () => [...stats.receivedByType].map(([type, n]) => [{ type }, n])
  )
  mirroredCounter(
    registry,
    {
      name: 'tickbridge_bridge_rows_inserted_total',
      help: 'Rows inserted into ClickHouse',
      labelNames: ['table']
    },
    () => [...stats.insertedByTable].map(([table, n]) => [{ table }, n])
  )
  mirroredCounter(
    registry,
    { name: 'tickbridge_bridge_dead_letters_total', help: 'Messages sent to the dead-letter topic' },
    () => [[{}, stats.deadLetterCount]]
  )
  mirroredCounter(
    registry,
    { name: 'tickbridge_bridge_errors_total', help: 'Failed inserts and commits (each retried)' },
    () => [[{}, stats.errorCount]]
  )
  mirroredCounter(
    registry,
    { name: 'tickbridge_bridge_backpressure_activations_total', help: 'Times fetching was paused' },
    () => [[{}, stats.backpressureCount]]
  )
  if (nats) {
    mirroredCounter(
      registry,
      {
        name: 'tickbridge_bridge_nats_messages_total',
        help: 'Messages read from NATS JetStream (redeliveries included)',
        labelNames: ['delivery']
      },
      () => [
        [{ delivery: 'first' }, nats.received - nats.redelivered],
        [{ delivery: 'redelivered' }, nats.redelivered]
      ]
    )
  }
  const latency = new Histogram({
    name: 'tickbridge_bridge_insert_duration_seconds',
    help: 'ClickHouse insert duration',
    labelNames: ['table'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry]
  })
  stats.insertListeners.push((table, _rows, ms) => latency.observe({ table }, ms / 1000))
  new Gauge({
    name: 'tickbridge_bridge_buffered_messages',
    help: 'Messages held (read, not yet inserted and committed)',
    registers: [registry],
    collect() {
      this.set(worker.buffered)
    }
  })
  new Gauge({
    name: 'tickbridge_bridge_backpressure_active',
    help: '1 while fetching is paused',
    registers: [registry],
    collect() {
      this.set(worker.pressure === 'paused' ? 1 : 0)
    }
  })
  new Gauge({
    name: 'tickbridge_bridge_assigned_partitions',
    help: 'Partitions this instance consumes',
    registers: [registry],
    collect() {
      this.set(source.assignmentSummary().length)
    }
  })
  return registry
}
