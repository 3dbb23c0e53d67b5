import Fastify, { type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'

export interface Readiness {
  ready: boolean
  reason?: string
}

export interface ProcessServerOptions {
  host: string
  /** 0 picks a free port. */
  port: number
  registry: Registry
  readiness(): Readiness
}

/**
 * Every process's own HTTP endpoints: Prometheus `/metrics`, `/healthz` (the process is alive and serving),
 * `/readyz` (it does its job: 503 with the reason when not).
 */
export async function startProcessServer(
  options: ProcessServerOptions,
  log: Logger
): Promise<{ url: string; close(): Promise<void> }> {
  const app: FastifyInstance = Fastify({ logger: false })
  addProcessRoutes(app, options)
  const address = await app.listen({ host: options.host, port: options.port })
  log.info({ metrics: `${address}/metrics` }, 'serving /metrics, /healthz and /readyz')
  return { url: address, close: () => app.close() }
}

export function addProcessRoutes(
  app: FastifyInstance,
  options: Pick<ProcessServerOptions, 'registry' | 'readiness'>
): void {
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', options.registry.contentType)
    return options.registry.metrics()
  })
  app.get('/healthz', async () => ({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) }))
  app.get('/readyz', async (_request, reply) => {
    const readiness = options.readiness()
    if (!readiness.ready) reply.code(503)
    return {
      status: readiness.ready ? 'ready' : 'not ready',
      ...(readiness.reason ? { reason: readiness.reason } : {})
    }
  })
}
