/**
 * When each message of a load run became queryable, without tracking messages one by one (pure).
 *
 * Every batch a load run sends carries one recv_ts, so the run knows how many messages it sent per
 * (table, recv_ts). Each poll of ClickHouse returns how many rows of the run it sees per (table, recv_ts);
 * the rows that are new since the previous poll became queryable between the two polls, and are given the
 * latency (time of the poll's answer) - recv_ts: an upper bound, like bench/latency.ts's "first seen
 * queryable", within one poll interval. So every message gets a latency, not a sample of probes.
 */
export interface BucketCount {
  recvTs: number
  rows: number
}

export class VisibilityTracker {
  readonly #expected = new Map<string, Map<number, number>>()
  readonly #seen = new Map<string, Map<number, number>>()
  /** [latency ms, messages] in the order observed. */
  readonly #latencies: [number, number][] = []
  #expectedTotal = 0
  #seenTotal = 0
  #lastSeenAt: number | null = null

  /** `n` messages for `table` were sent with this recv_ts. */
  expect(table: string, recvTs: number, n: number): void {
    const buckets = mapFor(this.#expected, table)
    buckets.set(recvTs, (buckets.get(recvTs) ?? 0) + n)
    this.#expectedTotal += n
  }

  /**
   * One poll's answer for `table` at `at` (epoch ms): rows per recv_ts. Rows beyond what was sent
   * (a re-delivered duplicate not merged yet) are not counted twice; fewer rows than before (duplicates
   * merged away) do not undo what was seen.
   */
  observe(table: string, counts: BucketCount[], at: number): number {
    const expected = this.#expected.get(table)
    if (!expected) return 0
    const seen = mapFor(this.#seen, table)
    let fresh = 0
    for (const { recvTs, rows } of counts) {
      const want = expected.get(recvTs)
      if (want === undefined) continue
      const before = seen.get(recvTs) ?? 0
      const now = Math.min(rows, want)
      if (now <= before) continue
      seen.set(recvTs, now)
      this.#latencies.push([Math.max(0, at - recvTs), now - before])
      fresh += now - before
    }
    this.#seenTotal += fresh
    if (fresh > 0) this.#lastSeenAt = at
    return fresh
  }

  /** The oldest recv_ts of `table` whose messages are not all seen yet (null: all seen). */
  oldestPending(table: string): number | null {
    const expected = this.#expected.get(table)
    const seen = this.#seen.get(table)
    let oldest: number | null = null
    for (const [recvTs, want] of expected ?? []) {
      if ((seen?.get(recvTs) ?? 0) < want && (oldest === null || recvTs < oldest)) oldest = recvTs
    }
    return oldest
  }

  get expected(): number {
    return this.#expectedTotal
  }

  get seen(): number {
    return this.#seenTotal
  }

  get missing(): number {
    return this.#expectedTotal - this.#seenTotal
  }

  /** When the last new row was seen (epoch ms), null before any. */
  get lastSeenAt(): number | null {
    return this.#lastSeenAt
  }

  /** Latency percentiles over every message seen (nearest rank, as bench/setup.ts's percentile). */
  percentiles(ps: number[]): number[] {
    const sorted = [...this.#latencies].sort((a, b) => a[0] - b[0])
    return ps.map((p) => weightedPercentile(sorted, this.#seenTotal, p))
  }
}

function mapFor(maps: Map<string, Map<number, number>>, table: string): Map<number, number> {
  let map = maps.get(table)
  if (!map) maps.set(table, (map = new Map()))
  return map
}

function weightedPercentile(sorted: [number, number][], total: number, p: number): number {
  if (total === 0) return Number.NaN
  const rank = Math.min(total - 1, Math.floor((p / 100) * total))
  let cumulative = 0
  for (const [value, n] of sorted) {
    cumulative += n
    if (cumulative > rank) return value
  }
  return sorted.at(-1)?.[0] ?? Number.NaN
}

/** The share of a run's messages per consumer instance, from messages per partition and who owns each. */
export interface InstanceShare {
  instanceId: string
  partitions: number
  messages: number
  /** Percent of the run's messages, one decimal. */
  share: number
}

export function instanceShares(
  messagesByPartition: Map<string, number>,
  owners: Map<string, string>
): { shares: InstanceShare[]; unowned: number } {
  const byInstance = new Map<string, { partitions: number; messages: number }>()
  for (const owner of new Set(owners.values())) byInstance.set(owner, { partitions: 0, messages: 0 })
  let total = 0
  let unowned = 0
  for (const [partition, n] of messagesByPartition) {
    total += n
    const owner = owners.get(partition)
    if (owner === undefined) {
      unowned += n
      continue
    }
    const entry = byInstance.get(owner) as { partitions: number; messages: number }
    entry.messages += n
  }
  for (const [partition, owner] of owners)
    if (messagesByPartition.has(partition)) (byInstance.get(owner) as { partitions: number }).partitions++
  const shares = [...byInstance]
    .filter(([, e]) => e.partitions > 0)
    .map(([instanceId, e]) => ({
      instanceId,
      partitions: e.partitions,
      messages: e.messages,
      share: total === 0 ? 0 : Math.round((e.messages / total) * 1000) / 10
    }))
    .sort((a, b) => a.instanceId.localeCompare(b.instanceId, 'en', { numeric: true }))
  return { shares, unowned }
}

/**
 * The share per instance from cumulative counters read before and after a run (NATS: each bridge's
 * `natsMessages`): the counter's growth. An instance absent before counts from zero; one absent after is left
 * out (its last messages are not known).
 */
export function counterShares(before: Map<string, number>, after: Map<string, number>): InstanceShare[] {
  const deltas = [...after].map(
    ([instanceId, n]) => [instanceId, Math.max(0, n - (before.get(instanceId) ?? 0))] as const
  )
  const total = deltas.reduce((sum, [, n]) => sum + n, 0)
  return deltas
    .map(([instanceId, messages]) => ({
      instanceId,
      partitions: 0,
      messages,
      share: total === 0 ? 0 : Math.round((messages / total) * 1000) / 10
    }))
    .sort((a, b) => a.instanceId.localeCompare(b.instanceId, 'en', { numeric: true }))
}
