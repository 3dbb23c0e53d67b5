import { collectDefaultMetrics, Counter, Registry } from 'prom-client'

/** A registry with Node.js process metrics (CPU, memory, event loop lag) and the instance as a default label. */
export function processRegistry(labels: Record<string, string>): Registry {
  const registry = new Registry()
  registry.setDefaultLabels(labels)
  collectDefaultMetrics({ register: registry })
  return registry
}

/**
 * A Prometheus counter mirrored from a cumulative in-process count at scrape time (the count stays the single
 * source of truth; the counter only ever moves forward by the difference).
 */
export function mirroredCounter(
  registry: Registry,
  spec: { name: string; help: string; labelNames?: string[] },
  read: () => Iterable<[labels: Record<string, string>, value: number]>
): Counter {
  const exported = new Map<string, number>()
  return new Counter({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames ?? [],
    registers: [registry],
    collect() {
      for (const [labels, value] of read()) {
        const key = JSON.stringify(labels)
        const delta = value - (exported.get(key) ?? 0)
        if (delta > 0) this.inc(labels, delta)
        exported.set(key, value)
      }
    }
  })
}
