import { setTimeout as sleep } from 'node:timers/promises'
import type { Config } from '../config/types.ts'
import type { InstanceView } from '../core/instance-registry.ts'
import { ErrorCodes, TickbridgeError } from '../errors.ts'
import { createAdmin } from '../kafka/clients.ts'
import { describeGroupAssignment } from '../kafka/group.ts'
import type { LoadTransport } from '../sim/load-transport.ts'
import { hubBridges } from '../validate/probes.ts'
import { counterShares, instanceShares, type InstanceShare } from './visibility.ts'

/**
 * Which bridge took how much of a load run (`tickbridge loadtest`). Kafka: the owners of the partitions the
 * run's messages went to (the hub's instance list, else the consumer group). NATS has no partitions, so each
 * bridge's `natsMessages` heartbeat counter is read before and after the run, and its growth is its share.
 */
export type SharesFrom = 'hub' | 'group' | 'nats-heartbeats' | null

export interface RunShares {
  shares: InstanceShare[]
  sharesFrom: SharesFrom
  /** Messages sent to partitions nobody owned (Kafka). */
  unowned: number
  /** The owners (Kafka) or the bridges reading NATS changed during the run: shares are approximate. */
  assignmentChanged: boolean
}

export interface ShareProbe {
  /** After the last message is queryable; `sent`: messages the run sent. */
  finish(sent: number): Promise<RunShares>
}

/** How long to wait for heartbeats that count the run's last NATS messages (bridges send one a second). */
const NATS_COUNTER_WAIT_MS = 3_000

/**
 * Reads who consumes `topics` now; throws TB_COMMAND_FAILED when nobody does (nothing would insert the run).
 * `byPartition` (Kafka) is filled by the caller while sending.
 */
export async function startShareProbe(
  config: Config,
  hubUrl: string,
  transport: LoadTransport,
  topics: string[],
  byPartition: Map<string, number>
): Promise<ShareProbe> {
  if (transport.via === 'nats') return natsProbe(hubUrl, topics)
  const before = await partitionOwners(config, hubUrl, transport.partitions)
  if (before.owners.size === 0) throw nobodyConsumes(topics.join(', '))
  return {
    async finish() {
      const after = await partitionOwners(config, hubUrl, transport.partitions)
      const { shares, unowned } = instanceShares(byPartition, before.owners)
      return {
        shares,
        unowned,
        sharesFrom: before.source,
        assignmentChanged: !sameOwners(before.owners, after.owners) && after.owners.size > 0
      }
    }
  }
}

function nobodyConsumes(what: string): TickbridgeError {
  return new TickbridgeError(
    ErrorCodes.COMMAND_FAILED,
    `no bridge consumes ${what}: nothing would insert the load test's messages`,
    {
      hint: 'Start the pipeline (`tickbridge start`) or bridges (`tickbridge scale N`; `--source nats` for NATS), then run it again.'
    }
  )
}

async function natsProbe(hubUrl: string, topics: string[]): Promise<ShareProbe> {
  const before = await natsCounters(hubUrl, topics)
  if (before.size === 0)
    throw nobodyConsumes(`${topics.join(', ')} from NATS (no bridge reading NATS in the hub's list)`)
  return {
    async finish(sent) {
      let after = await natsCounters(hubUrl, topics)
      const counted = () => counterShares(before, after).reduce((sum, s) => sum + s.messages, 0)
      for (const until = Date.now() + NATS_COUNTER_WAIT_MS; counted() < sent && Date.now() < until;) {
        await sleep(250)
        after = await natsCounters(hubUrl, topics)
      }
      return {
        shares: counterShares(before, after),
        unowned: 0,
        sharesFrom: 'nats-heartbeats',
        assignmentChanged: !sameKeys(before, after)
      }
    }
  }
}

/** `natsMessages` of each alive bridge that reads NATS and at least one of `topics` (its pool's types). */
async function natsCounters(hubUrl: string, topics: string[]): Promise<Map<string, number>> {
  const reads = (b: InstanceView) =>
    b.lastHeartbeat.natsMessages !== undefined &&
    (!b.lastHeartbeat.pool || b.lastHeartbeat.pool.topics.some((t) => topics.includes(t)))
  const bridges = await hubBridges(hubUrl).catch(() => [])
  return new Map(
    bridges
      .filter((b) => b.state === 'alive' && reads(b))
      .map((b) => [b.instanceId, b.lastHeartbeat.natsMessages ?? 0])
  )
}

/** Who owns each of `partitions`: the hub's alive bridges, else the bridge consumer group's members. */
async function partitionOwners(
  config: Config,
  hubUrl: string,
  partitions: string[]
): Promise<{ owners: Map<string, string>; source: 'hub' | 'group' | null }> {
  const wanted = new Set(partitions)
  const pick = (members: { instanceId: string; partitions: string[] }[]) =>
    new Map(
      members.flatMap((m) => m.partitions.filter((p) => wanted.has(p)).map((p) => [p, m.instanceId] as const))
    )
  const fromHub = await hubBridges(hubUrl)
    .then((bridges) =>
      pick(
        bridges
          .filter((b) => b.state === 'alive')
          .map((b) => ({ instanceId: b.instanceId, partitions: b.lastHeartbeat.partitions }))
      )
    )
    .catch(() => new Map<string, string>())
  if (fromHub.size > 0) return { owners: fromHub, source: 'hub' }
  const admin = createAdmin(config.kafka)
  try {
    const group = await describeGroupAssignment(admin, config.bridge.groupId).catch(() => null)
    const fromGroup = pick(group?.members ?? [])
    return { owners: fromGroup, source: fromGroup.size > 0 ? 'group' : null }
  } finally {
    await admin.close().catch(() => undefined)
  }
}

function sameOwners(a: Map<string, string>, b: Map<string, string>): boolean {
  return a.size === b.size && [...a].every(([p, owner]) => b.get(p) === owner)
}

function sameKeys(a: Map<string, unknown>, b: Map<string, unknown>): boolean {
  return a.size === b.size && [...a.keys()].every((k) => b.has(k))
}
