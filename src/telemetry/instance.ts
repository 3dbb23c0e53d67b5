import { hostname } from 'node:os'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Config } from '../config/types.ts'
import type { Heartbeat, HeartbeatReply } from '../core/heartbeat.ts'
import { HeartbeatSender } from './heartbeat-sender.ts'
import { resolveHubToken } from './hub-token.ts'
import { startProcessServer, type Readiness } from './process-server.ts'

export interface InstanceTelemetry {
  /** This process's /metrics base URL. */
  metricsUrl: string
  heartbeats: HeartbeatSender | null
  stop(): Promise<void>
}

/**
 * What every feed and bridge runs beside its work: its own /metrics, /healthz and /readyz, and heartbeats to
 * the hub (unless HUB_URL is empty). A port that is taken is reported and the process goes on without it.
 */
export async function startInstanceTelemetry(
  config: Config,
  parts: {
    /** From instanceHubToken, resolved before the role started its work. */
    hubToken: string | null
    registry: Registry
    readiness(): Readiness
    heartbeat(metricsUrl: string): Heartbeat
    onReply(reply: HeartbeatReply | null): void
  },
  log: Logger
): Promise<InstanceTelemetry> {
  let metricsUrl = ''
  let server: { close(): Promise<void> } | null = null
  try {
    const started = await startProcessServer(
      {
        host: config.metrics.host,
        port: config.metrics.port,
        registry: parts.registry,
        readiness: parts.readiness
      },
      log
    )
    metricsUrl = advertisedUrl(started.url, config.metrics)
    server = started
  } catch (error) {
    log.warn(
      { err: error, port: config.metrics.port },
      'could not serve /metrics: set METRICS_PORT to a free port (0 picks one)'
    )
  }
  const heartbeats =
    config.hub.url && parts.hubToken !== null
      ? new HeartbeatSender({
          hubUrl: config.hub.url,
          token: parts.hubToken,
          intervalMs: config.hub.heartbeatIntervalMs,
          build: () => parts.heartbeat(metricsUrl),
          onReply: parts.onReply,
          log
        })
      : null
  heartbeats?.start()
  return {
    metricsUrl,
    heartbeats,
    async stop() {
      heartbeats?.stop()
      await server?.close()
    }
  }
}

/**
 * The token this instance's heartbeats carry, or null without a hub (HUB_URL empty). A role resolves it before
 * it starts any work: a secret that is not mounted fails the start, instead of a process that works on
 * unwatched after printing the error.
 */
export function instanceHubToken(config: Config): string | null {
  return config.hub.url ? resolveHubToken(config) : null
}

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', ''])

/** The URL others reach /metrics at: the listening URL with the advertised host (see METRICS_ADVERTISE_HOST). */
export function advertisedUrl(listening: string, metrics: { host: string; advertiseHost: string }): string {
  const host = metrics.advertiseHost || (WILDCARDS.has(metrics.host) ? hostname() : '')
  if (!host) return listening
  const url = new URL(listening)
  url.hostname = host
  return url.origin
}
