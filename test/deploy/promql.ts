import { parser } from '@prometheus-io/lezer-promql'
import type { Registry } from 'prom-client'
import { BridgeStats } from '../../src/bridge/stats.ts'
import { bridgeRegistry } from '../../src/bridge/metrics.ts'
import type { BridgeWorker } from '../../src/bridge/worker.ts'
import type { KafkaSource } from '../../src/bridge/kafka-source.ts'
import type { FeedTelemetrySource } from '../../src/feed/heartbeat.ts'
import { feedRegistry } from '../../src/feed/metrics.ts'
import { ClusterView } from '../../src/hub/cluster-view.ts'
import { hubRegistry } from '../../src/hub/metrics.ts'

/** What one PromQL expression refers to, read with Prometheus's own PromQL grammar (lezer-promql). */
export interface PromQLReferences {
  /** Syntax errors (the grammar's error nodes), as the text around each. */
  errors: string[]
  /** Metric names of the vector selectors. */
  metrics: string[]
  /** Label names used in matchers and in by/without/on/ignoring clauses. */
  labels: string[]
}

/** Grafana's interval variables stand for a duration; the PromQL parser needs one. */
const grafanaVariables = /\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}/g

export function promqlReferences(expression: string): PromQLReferences {
  const text = expression.replace(grafanaVariables, '5m')
  const errors: string[] = []
  const metrics: string[] = []
  const labels: string[] = []
  parser.parse(text).iterate({
    enter(node) {
      if (node.type.isError)
        errors.push(`syntax error at ${node.from}: …${text.slice(node.from, node.from + 20)}`)
      else if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector')
        metrics.push(text.slice(node.from, node.to))
      else if (node.name === 'LabelName') labels.push(text.slice(node.from, node.to))
    }
  })
  return { errors, metrics, labels }
}

export interface ExportedMetric {
  /** The series names a scrape shows: a histogram's name_bucket, name_sum and name_count. */
  series: string[]
  labels: string[]
}

/**
 * Every metric the hub, a feed and a bridge register, read from their real prom-client registries (the same
 * functions the processes call), with each metric's label names including the registry's default labels.
 */
export async function exportedMetrics(): Promise<Map<string, ExportedMetric>> {
  const stats = new BridgeStats()
  stats.received('trade')
  stats.inserted('trades', 1, 12)
  const worker = { stats, buffered: 0, pressure: 'flowing' } as unknown as BridgeWorker
  const source = { assignmentSummary: () => [] } as unknown as KafkaSource
  const feed = {
    exchange: 'sim',
    publisher: {
      counts: new Map([['trade', 1]]),
      rejectedCount: 0,
      errorCount: 0,
      droppedCount: 0,
      spooled: 0,
      queued: 0
    },
    connection: { connected: true, connects: 1 }
  } as unknown as FeedTelemetrySource
  const view = new ClusterView({ deadAfterMs: 5000, historyMs: 60_000, insertLatencyLimitMs: 2000 })
  const registries: Registry[] = [
    bridgeRegistry('bridge-1', worker, source),
    feedRegistry('feed-1', feed),
    hubRegistry(view).registry
  ]
  const exported = new Map<string, ExportedMetric>()
  for (const registry of registries) {
    const defaultLabels = Object.keys(await registryDefaultLabels(registry))
    for (const metric of await registry.getMetricsAsJSON()) {
      const type = String(metric.type)
      const suffixes =
        type === 'histogram'
          ? ['_bucket', '_sum', '_count']
          : type === 'summary'
            ? ['', '_sum', '_count']
            : ['']
      const own =
        (registry.getSingleMetric(metric.name) as unknown as { labelNames?: string[] }).labelNames ?? []
      const labels = [...own, ...defaultLabels, ...(type === 'histogram' ? ['le'] : [])]
      const previous = exported.get(metric.name)
      exported.set(metric.name, {
        series: suffixes.map((suffix) => `${metric.name}${suffix}`),
        labels: [...new Set([...(previous?.labels ?? []), ...labels])]
      })
    }
  }
  return exported
}

/** prom-client keeps the default labels private; they show on every sample of the exposition. */
async function registryDefaultLabels(registry: Registry): Promise<Record<string, string>> {
  const text = await registry.metrics()
  const sample = /^process_cpu_user_seconds_total\{([^}]*)\}/m.exec(text)
  if (!sample?.[1]) return {}
  return Object.fromEntries([...sample[1].matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']))
}

/** Labels every scraped series also carries: the target's, and what the scrape configurations add. */
export const TARGET_LABELS = ['job', 'instance', 'namespace', 'pod']
/** Series Prometheus itself writes for every target. */
const SCRAPE_SERIES: ExportedMetric[] = [{ series: ['up', 'scrape_duration_seconds'], labels: [] }]

/** Problems of one expression against the exported metrics: syntax, unknown metric, unknown label. */
export function expressionProblems(expression: string, exported: Map<string, ExportedMetric>): string[] {
  const { errors, metrics, labels } = promqlReferences(expression)
  const bySeries = new Map<string, ExportedMetric>()
  for (const metric of [...exported.values(), ...SCRAPE_SERIES])
    for (const series of metric.series) bySeries.set(series, metric)
  const problems = [...errors]
  if (metrics.length === 0) problems.push('selects no metric')
  for (const name of metrics) if (!bySeries.has(name)) problems.push(`no metric ${name} is exported`)
  const available = new Set([
    ...TARGET_LABELS,
    ...metrics.flatMap((name) => bySeries.get(name)?.labels ?? [])
  ])
  for (const label of labels)
    if (!available.has(label)) problems.push(`label ${label} is on none of ${metrics.join(', ')}`)
  return problems.map((problem) => `${problem}  [${expression.replace(/\s+/g, ' ').trim()}]`)
}
