import type { SettingGroup } from './definition.ts'

/** The hub, the heartbeats every feed and bridge sends it, and each process's metrics endpoint. */
export const hubSettings = {
  HUB_URL: {
    section: 'hub',
    key: 'url',
    schema: { type: 'string', default: 'http://127.0.0.1:8700' },
    description:
      'Where feeds and bridges send a heartbeat every second. Empty: no heartbeats, each instance follows ' +
      'only its own watermarks.',
    readBy: '`feed`, `bridge`'
  },
  HUB_HOST: {
    section: 'hub',
    key: 'host',
    schema: { type: 'string', default: '127.0.0.1' },
    description:
      'Address the hub listens on. Use `0.0.0.0` to reach it from other machines (heartbeats still need the ' +
      'token).',
    readBy: '`hub`'
  },
  HUB_PORT: {
    section: 'hub',
    key: 'port',
    schema: { type: 'integer', minimum: 1, maximum: 65535, default: 8700 },
    description: "The hub's HTTP port: API, `/metrics`, dashboard.",
    readBy: '`hub`'
  },
  HUB_TOKEN: {
    section: 'hub',
    key: 'token',
    schema: { type: 'string', default: '' },
    description:
      'Shared heartbeat token (`Authorization: Bearer ...`). Empty: a random token is created in ' +
      '`$TICKBRIDGE_HOME/hub.token` (mode 0600) and read by every local process. Set it when instances run ' +
      'on several machines. Never logged.',
    readBy: 'all'
  },
  HUB_TOKEN_FILE: {
    section: 'hub',
    key: 'tokenFile',
    schema: { type: 'string', default: '' },
    description:
      'A file holding the heartbeat token (e.g. a Docker or Kubernetes secret), read when HUB_TOKEN is empty. ' +
      'Empty: `$TICKBRIDGE_HOME/hub.token`, created if missing. A file named here must exist.',
    readBy: 'all'
  },
  HUB_DEAD_AFTER_MS: {
    section: 'hub',
    key: 'deadAfterMs',
    schema: { type: 'integer', minimum: 500, default: 5000 },
    description:
      'An instance without a heartbeat for this long is marked dead (and no longer counts for backpressure).',
    readBy: '`hub`'
  },
  HUB_HISTORY_MINUTES: {
    section: 'hub',
    key: 'historyMinutes',
    schema: { type: 'integer', minimum: 1, maximum: 1440, default: 15 },
    description:
      "How long the hub keeps each instance's per-second samples in memory (the dashboard's charts). Every " +
      'sample is also written to `<db>.hub_heartbeats` for the long view.',
    readBy: '`hub`'
  },
  HUB_INSERT_LATENCY_LIMIT_MS: {
    section: 'hub',
    key: 'insertLatencyLimitMs',
    schema: { type: 'integer', minimum: 1, default: 2000 },
    description:
      "Cluster backpressure also starts when a bridge's mean insert latency passes this, and ends below half " +
      'of it.',
    readBy: '`hub`'
  },
  HUB_LOG_INTERVAL_MS: {
    section: 'hub',
    key: 'logIntervalMs',
    schema: { type: 'integer', minimum: 0, default: 10000 },
    description:
      'The hub logs `Heartbeat from <bridge>: ticks=…, ch_candles=…, nats_msgs=…, lag=…` at info at most this ' +
      'often per bridge (the other heartbeats at debug); 0: every heartbeat at info.',
    readBy: '`hub`'
  },
  HEARTBEAT_INTERVAL_MS: {
    section: 'hub',
    key: 'heartbeatIntervalMs',
    schema: { type: 'integer', minimum: 100, default: 1000 },
    description: 'How often instances send heartbeats.',
    readBy: '`feed`, `bridge`'
  },
  METRICS_PORT: {
    section: 'metrics',
    key: 'port',
    schema: { type: 'integer', minimum: 0, maximum: 65535, default: 0 },
    description:
      'Each feed/bridge serves `/metrics`, `/healthz`, `/readyz` here; 0 picks a free port (reported in ' +
      'heartbeats and `tickbridge status`). `tickbridge start` and `scale` give bridge N port 9400+N and ' +
      'feeds 9500+N.',
    readBy: '`feed`, `bridge`'
  },
  METRICS_HOST: {
    section: 'metrics',
    key: 'host',
    schema: { type: 'string', default: '127.0.0.1' },
    description:
      'Address of that endpoint (`0.0.0.0` in a container, so the hub and Prometheus can reach it).',
    readBy: '`feed`, `bridge`'
  },
  METRICS_ADVERTISE_HOST: {
    section: 'metrics',
    key: 'advertiseHost',
    schema: { type: 'string', default: '' },
    description:
      'The host name others (the hub, `status`, `health`) use to reach that endpoint, reported in heartbeats. ' +
      "Empty: METRICS_HOST, or this machine's host name when METRICS_HOST is a wildcard (`0.0.0.0`, `::`), " +
      "which in Docker Compose and a Kubernetes StatefulSet is the container's resolvable name.",
    readBy: '`feed`, `bridge`'
  }
} as const satisfies SettingGroup
