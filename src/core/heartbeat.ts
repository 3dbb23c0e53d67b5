import type { PressureState } from './backpressure.ts'

/**
 * What every feed and bridge instance tells the hub once a second (POST /api/heartbeats). Counters are
 * cumulative since the process started, so a lost heartbeat loses no count; the hub derives rates from
 * consecutive heartbeats. docs/hub.md documents the same fields.
 */
export const Roles = { BRIDGE: 'bridge', FEED: 'feed' } as const
export type Role = (typeof Roles)[keyof typeof Roles]

export interface Heartbeat {
  v: 1
  role: Role
  instanceId: string
  pid: number
  host: string
  startedAt: number
  sentAt: number
  /**
   * Bridge: its worker pool (name, consumer group, topics). Absent (older bridges): the pool `all`, every topic
   * in the hub's BRIDGE_GROUP_ID.
   */
  pool?: { name: string; group: string; topics: string[] }
  /** This process's own /metrics, /healthz and /readyz, when it serves them. */
  metricsUrl?: string
  /** Cumulative messages by canonical type: received from Kafka or NATS (bridge) or produced (feed). */
  messages: Record<string, number>
  /** Bridge reading NATS (`--source nats|both`): cumulative messages received from NATS, redeliveries included. */
  natsMessages?: number
  /** Cumulative rows inserted by table (bridge). */
  inserted: Record<string, number>
  inserts: number
  /** Mean and max insert latency since the previous heartbeat (0 when there was no insert). */
  insertLatencyMs: { mean: number; max: number }
  deadLettered: number
  errors: number
  buffer: { messages: number; capacity: number }
  /** topic:partition this instance consumes now (bridge). */
  partitions: string[]
  /** Messages behind the end of its partitions, when the instance knows it. */
  lag?: number
  pressure: {
    /** What its own watermarks say. */
    local: PressureState
    /** What it does (local, or the hub's cluster-wide decision). */
    effective: PressureState
    transitions: number
  }
  /** What its own /readyz says (doing its job, or why not). */
  ready?: { ready: boolean; reason?: string }
  /** Feed only: the exchange connection. */
  feed?: {
    exchange: string
    connected: boolean
    connects: number
    rejected: number
    /** Messages waiting on disk because Kafka did not take them fast enough (or at all). */
    spooled?: number
    /** Messages lost because the spool was full: a gap. */
    dropped?: number
    /** Where trade ids are sequential: gaps noticed, trades fetched over REST to fill them, and what could not be. */
    gaps?: number
    backfilled?: number
    unfilledGaps?: number
    unfilledTrades?: number
  }
}

/** The hub's answer to a heartbeat: the cluster-wide backpressure decision every instance follows. */
export interface HeartbeatReply {
  backpressure: { hold: boolean; reason: string | null }
  deadAfterMs: number
}

const counterMap = { type: 'object', additionalProperties: { type: 'number', minimum: 0 } } as const

/** JSON schema (ajv / fastify) of a heartbeat body. */
export const heartbeatSchema = {
  type: 'object',
  required: [
    'v',
    'role',
    'instanceId',
    'pid',
    'host',
    'startedAt',
    'sentAt',
    'messages',
    'inserted',
    'inserts',
    'insertLatencyMs',
    'deadLettered',
    'errors',
    'buffer',
    'partitions',
    'pressure'
  ],
  properties: {
    v: { const: 1 },
    role: { enum: Object.values(Roles) },
    instanceId: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:@-]+$' },
    pid: { type: 'integer', minimum: 0 },
    host: { type: 'string', maxLength: 255 },
    startedAt: { type: 'number' },
    sentAt: { type: 'number' },
    metricsUrl: { type: 'string', maxLength: 500 },
    pool: {
      type: 'object',
      required: ['name', 'group', 'topics'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 100 },
        group: { type: 'string', minLength: 1, maxLength: 300 },
        topics: { type: 'array', maxItems: 100, items: { type: 'string', maxLength: 300 } }
      }
    },
    messages: counterMap,
    natsMessages: { type: 'number', minimum: 0 },
    inserted: counterMap,
    inserts: { type: 'number', minimum: 0 },
    insertLatencyMs: {
      type: 'object',
      required: ['mean', 'max'],
      properties: { mean: { type: 'number', minimum: 0 }, max: { type: 'number', minimum: 0 } }
    },
    deadLettered: { type: 'number', minimum: 0 },
    errors: { type: 'number', minimum: 0 },
    buffer: {
      type: 'object',
      required: ['messages', 'capacity'],
      properties: { messages: { type: 'number', minimum: 0 }, capacity: { type: 'number', minimum: 0 } }
    },
    partitions: { type: 'array', maxItems: 10000, items: { type: 'string', maxLength: 300 } },
    lag: { type: 'number', minimum: 0 },
    pressure: {
      type: 'object',
      required: ['local', 'effective', 'transitions'],
      properties: {
        local: { enum: ['flowing', 'paused'] },
        effective: { enum: ['flowing', 'paused'] },
        transitions: { type: 'number', minimum: 0 }
      }
    },
    ready: {
      type: 'object',
      required: ['ready'],
      properties: { ready: { type: 'boolean' }, reason: { type: 'string', maxLength: 500 } }
    },
    feed: {
      type: 'object',
      required: ['exchange', 'connected', 'connects', 'rejected'],
      properties: {
        exchange: { type: 'string', maxLength: 100 },
        connected: { type: 'boolean' },
        connects: { type: 'number', minimum: 0 },
        rejected: { type: 'number', minimum: 0 },
        spooled: { type: 'number', minimum: 0 },
        dropped: { type: 'number', minimum: 0 },
        gaps: { type: 'number', minimum: 0 },
        backfilled: { type: 'number', minimum: 0 },
        unfilledGaps: { type: 'number', minimum: 0 },
        unfilledTrades: { type: 'number', minimum: 0 }
      }
    }
  }
} as const
