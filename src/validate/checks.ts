import type { InstanceView } from '../core/instance-registry.ts'
import { partitionKey } from '../core/offset-tracker.ts'
import { ALL_POOL } from '../core/pools.ts'
import type { GroupMemberAssignment } from '../kafka/group.ts'
import type { PartitionLag } from '../kafka/lag.ts'
import { summarizePartitions } from '../ops/format.ts'

/**
 * The seed's scaling validation guide as pure evaluations: each takes the evidence gathered from the running
 * system and says pass or fail, with the evidence in words a person can check.
 */
export type CheckOutcome = 'pass' | 'fail' | 'skip'

export interface CheckResult {
  check: string
  result: CheckOutcome
  evidence: string
}

const result = (check: string, ok: boolean, evidence: string): CheckResult => ({
  check,
  result: ok ? 'pass' : 'fail',
  evidence
})

export function checkInstances(
  expected: number,
  bridges: InstanceView[],
  members: GroupMemberAssignment[]
): CheckResult {
  const alive = bridges.filter((b) => b.state === 'alive').map((b) => b.instanceId)
  const dead = bridges.filter((b) => b.state === 'dead').map((b) => b.instanceId)
  const ids = members.map((m) => m.instanceId)
  const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i)
  const problems = [
    ...(dead.length ? [`dead: ${dead.join(', ')}`] : []),
    ...(alive.length !== expected ? [`${alive.length} alive in the hub, expected ${expected}`] : []),
    ...(members.length !== expected
      ? [`${members.length} members in the consumer group, expected ${expected}`]
      : []),
    ...(duplicates.length ? [`duplicate instance ids: ${[...new Set(duplicates)].join(', ')}`] : [])
  ]
  return result(
    'instances',
    problems.length === 0,
    problems.length ? problems.join('; ') : `${expected} bridges up with unique ids: ${ids.join(', ')}`
  )
}

/** Every partition of every topic assigned, and each member holds floor(P/N) or ceil(P/N) of each topic. */
export function checkPartitions(
  members: GroupMemberAssignment[],
  topics: string[],
  partitionsPerTopic: number
): CheckResult {
  if (members.length === 0) return result('partitions', false, 'the consumer group has no members')
  const low = Math.floor(partitionsPerTopic / members.length)
  const high = Math.ceil(partitionsPerTopic / members.length)
  const problems: string[] = []
  for (const topic of topics) {
    const counts = members.map((m) => m.partitions.filter((p) => p.startsWith(`${topic}:`)).length)
    const assigned = counts.reduce((a, b) => a + b, 0)
    if (assigned !== partitionsPerTopic)
      problems.push(`${topic}: ${assigned} of ${partitionsPerTopic} assigned`)
    counts.forEach((n, i) => {
      if (n < low || n > high)
        problems.push(`${members[i]?.instanceId} has ${n} of ${topic}, expected ${low}-${high}`)
    })
  }
  const perMember = members
    .map((m) => `${m.instanceId} ${summarizePartitions(m.partitions) || '(none)'}`)
    .join('; ')
  return result(
    'partitions',
    problems.length === 0,
    `${problems.length ? `${problems.join('; ')}. ` : ''}${partitionsPerTopic} per topic over ${members.length}: ${perMember}`
  )
}

/**
 * Each bridge's share of the messages in the window. Keys (exchange:symbol) hash to partitions, so shares are
 * never exactly 1/N: pass when every bridge owning partitions got traffic and none is below `minShareOfFair`
 * of its fair share (default 0.25, i.e. ≥ 8.3 % each with 3 bridges). Bridges that own no partitions (more
 * bridges than partitions) are idle by design and left out when `owners` is given.
 */
export function checkDistribution(
  deltas: Map<string, number>,
  owners?: Set<string>,
  minShareOfFair = 0.25
): CheckResult {
  const counted = [...deltas].filter(([id]) => !owners || owners.has(id))
  const total = counted.reduce((sum, [, n]) => sum + n, 0)
  if (counted.length === 0) return result('distribution', false, 'no bridges owning partitions to compare')
  if (total === 0) {
    return result(
      'distribution',
      false,
      'no traffic in the window: start the simulator or a feed (`tickbridge start`, `tickbridge sim`)'
    )
  }
  const fair = 1 / counted.length
  const shares = counted.map(([id, n]) => ({ id, n, share: n / total }))
  const starved = shares.filter((s) => s.share < fair * minShareOfFair)
  const evidence = shares.map((s) => `${s.id} ${(s.share * 100).toFixed(1)} % (${s.n})`).join(', ')
  const floor = Math.round(fair * minShareOfFair * 1000) / 10
  return result(
    'distribution',
    starved.length === 0,
    starved.length
      ? `${starved.map((s) => (s.n === 0 ? `${s.id} got no traffic` : `${s.id} got ${(s.share * 100).toFixed(1)} %`)).join(', ')}, below the ${floor} % floor: ${evidence}`
      : `fair share ${(fair * 100).toFixed(1)} %, floor ${floor} %: ${evidence}`
  )
}

/** Every group member reports heartbeats to the hub, fresh, with counters. */
export function checkHeartbeats(
  members: GroupMemberAssignment[],
  instances: InstanceView[],
  now: number,
  deadAfterMs: number
): CheckResult {
  const byId = new Map(instances.map((i) => [i.instanceId, i]))
  const problems: string[] = []
  const seen: string[] = []
  for (const m of members) {
    const instance = byId.get(m.instanceId)
    if (!instance) problems.push(`${m.instanceId}: no heartbeat at the hub`)
    else if (now - instance.lastSeen > deadAfterMs)
      problems.push(`${m.instanceId}: last heartbeat ${Math.round((now - instance.lastSeen) / 1000)} s ago`)
    else {
      const received = Object.values(instance.lastHeartbeat.messages).reduce((a, b) => a + b, 0)
      const inserted = Object.values(instance.lastHeartbeat.inserted).reduce((a, b) => a + b, 0)
      if (received === 0) problems.push(`${m.instanceId}: its heartbeat counts no messages yet`)
      else
        seen.push(
          `${m.instanceId} ${Math.round((now - instance.lastSeen) / 100) / 10} s ago, ${received} received, ${inserted} inserted`
        )
    }
  }
  if (members.length === 0) problems.push('no group members')
  return result('heartbeats', problems.length === 0, problems.length ? problems.join('; ') : seen.join(', '))
}

export function checkDuplicates(
  rowsInserted: number,
  distinctRows: number,
  rowsAfterFinal: number
): CheckResult {
  return result(
    'duplicates',
    rowsAfterFinal === distinctRows,
    `inserted ${rowsInserted} rows (${distinctRows} distinct, each twice); ${rowsAfterFinal} after FINAL`
  )
}

/** One pool's result of a check, for `perPool`. */
export interface PoolResult {
  pool: string
  result: CheckResult
}

/**
 * A check run once per worker pool, as one result: pass when every pool passes (skip when every pool skips),
 * the evidence of each pool named. Bridges of every type only (the pool `all`): that pool's result unchanged.
 */
export function perPool(check: string, results: PoolResult[]): CheckResult {
  const [only] = results
  if (results.length === 1 && only && only.pool === ALL_POOL) return { ...only.result, check }
  const outcome: CheckOutcome = results.every((r) => r.result.result === 'skip')
    ? 'skip'
    : results.some((r) => r.result.result === 'fail')
      ? 'fail'
      : 'pass'
  return {
    check,
    result: outcome,
    evidence: results.map((r) => `pool ${r.pool}: ${r.result.evidence}`).join(' | ')
  }
}

/**
 * With worker pools: every bridge topic is consumed by exactly one pool. None: its messages wait in Kafka;
 * more than one: they are read and inserted twice (the tables absorb it, but it is double the work).
 */
export function checkCoverage(pools: { pool: string; topics: string[] }[], topics: string[]): CheckResult {
  const problems: string[] = []
  for (const topic of topics) {
    const readers = pools.filter((p) => p.topics.includes(topic)).map((p) => p.pool)
    if (readers.length === 0) problems.push(`${topic}: no pool consumes it`)
    if (readers.length > 1) problems.push(`${topic}: read by ${readers.length} pools (${readers.join(', ')})`)
  }
  const layout = pools.map((p) => `${p.pool} ${p.topics.join(',')}`).join('; ')
  return result(
    'coverage',
    problems.length === 0,
    problems.length ? `${problems.join('; ')}. Pools: ${layout}` : `each topic read by one pool: ${layout}`
  )
}

/**
 * "trades:2 lag 8123 (+0 committed)": the partitions lagging most, and how far each one's committed offset
 * moved since `before`, so a failed catch-up tells a stalled partition (+0) from a slow pipeline.
 */
export function laggingPartitions(before: PartitionLag[], now: PartitionLag[], top = 4): string {
  const committedBefore = new Map(before.map((p) => [partitionKey(p), p.committed]))
  return [...now]
    .filter((p) => p.lag > 0n)
    .sort((a, b) => Number(b.lag - a.lag))
    .slice(0, top)
    .map((p) => {
      const key = partitionKey(p)
      const was = committedBefore.get(key) ?? -1n
      const moved = p.committed < 0n ? 0n : p.committed - (was < 0n ? 0n : was)
      return `${key} lag ${p.lag} (+${moved} committed)`
    })
    .join(', ')
}
