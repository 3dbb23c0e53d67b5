import { ErrorCodes } from '../errors.ts'
import { timingSafeEqual } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { heartbeatSchema, type Heartbeat } from '../core/heartbeat.ts'
import type { HubEvent } from '../core/instance-registry.ts'
import { addProcessRoutes } from '../telemetry/process-server.ts'
import type { ClusterView } from './cluster-view.ts'
import { addDashboardRoutes } from './dashboard.ts'
import { heartbeatLogLine, HeartbeatLogThrottle } from './heartbeat-log.ts'
import { hubRegistry } from './metrics.ts'

/**
 * The hub's HTTP surface: heartbeats in (POST /api/heartbeats, bearer token), the JSON API, live updates as
 * server-sent events, Prometheus /metrics, /healthz, /readyz and the dashboard. Reads are open (the hub binds
 * to 127.0.0.1 by default); writes need the token, which is compared in constant time and never logged.
 */
export function buildHubApp(
  view: ClusterView,
  token: string,
  log: Logger,
  options: { logIntervalMs?: number } = {}
): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 1_048_576, forceCloseConnections: true })
  const heartbeatLog = new HeartbeatLogThrottle(options.logIntervalMs ?? 10_000)
  const { registry, heartbeats, rejected } = hubRegistry(view)
  const expected = Buffer.from(`Bearer ${token}`)

  const authorized = (request: FastifyRequest) => {
    const given = Buffer.from(request.headers.authorization ?? '')
    return given.length === expected.length && timingSafeEqual(given, expected)
  }

  app.setErrorHandler(
    (error: { statusCode?: number; message: string; validation?: unknown }, request, reply) => {
      if (error.validation) {
        rejected.inc({ reason: 'invalid' })
        log.warn({ url: request.url, reason: error.message }, 'rejected an invalid heartbeat')
        return reply.code(400).send({ error: 'invalid heartbeat', reason: error.message })
      }
      log.error({ url: request.url, err: error }, 'hub request failed')
      return reply.code(error.statusCode ?? 500).send({ error: error.message })
    }
  )

  const requireToken = async (request: FastifyRequest, reply: FastifyReply) => {
    if (authorized(request)) return
    rejected.inc({ reason: 'unauthorized' })
    log.warn({ from: request.ip, url: request.url }, 'rejected a heartbeat without a valid token')
    await reply
      .code(401)
      .header('www-authenticate', 'Bearer')
      .send({ error: 'missing or wrong token: send Authorization: Bearer <HUB_TOKEN>' })
  }

  app.post<{ Body: Heartbeat }>(
    '/api/heartbeats',
    { schema: { body: heartbeatSchema }, onRequest: requireToken },
    async (request, reply) => {
      heartbeats.inc()
      const answer = view.heartbeat(request.body)
      if (!('conflict' in answer)) {
        const level = heartbeatLog.level(request.body, Date.now())
        if (level !== null && log.isLevelEnabled(level))
          log[level](heartbeatLogLine(request.body, view.lagOf(request.body.instanceId)))
        return answer
      }
      const { instanceId, host, pid } = answer.conflict
      rejected.inc({ reason: 'instance-id-taken' })
      log.warn(
        { instanceId, holder: { host, pid }, claimant: { host: request.body.host, pid: request.body.pid } },
        'refused a heartbeat: another live process already reports under this instance id'
      )
      return reply.code(409).send({
        error: 'instance id taken',
        code: ErrorCodes.INSTANCE_ID_TAKEN,
        reason: `instance id ${instanceId} is already used by a live process on ${host} (pid ${pid}): give every process its own INSTANCE_ID`
      })
    }
  )

  app.get<{ Querystring: { history?: string } }>('/api/instances', async (request) =>
    view.instances().map((i) => (request.query.history === '1' ? i : { ...i, history: i.history.slice(-1) }))
  )
  // Forget an instance now instead of keeping it as dead for the history window (token required).
  app.delete<{ Params: { id: string } }>(
    '/api/instances/:id',
    { onRequest: requireToken },
    async (request, reply) =>
      view.registry.forget(request.params.id)
        ? { forgotten: request.params.id }
        : reply.code(404).send({ error: 'unknown instance' })
  )
  app.get('/api/cluster', async () => view.cluster())
  app.get<{ Querystring: { since?: string } }>('/api/events', async (request) =>
    view.registry.events(Number(request.query.since ?? 0) || 0)
  )

  // Live updates: one `update` event per hub tick (every second) with the cluster, instances and new events.
  app.get('/api/stream', (request, reply) => {
    reply.hijack()
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive'
    })
    let pending: HubEvent[] = []
    const unsubscribe = view.subscribe((events) => {
      pending.push(...events)
      if (events.length > 0) return // sent with the next tick, batched
      const update = {
        at: Date.now(),
        cluster: view.cluster(),
        instances: view.instances().map((i) => ({ ...i, history: i.history.slice(-1) })),
        events: pending
      }
      pending = []
      reply.raw.write(`event: update\ndata: ${JSON.stringify(update)}\n\n`)
    })
    request.raw.on('close', unsubscribe)
  })

  addProcessRoutes(app, { registry, readiness: () => ({ ready: true }) })
  addDashboardRoutes(app)
  return app
}
