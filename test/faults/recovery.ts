import { setTimeout as sleep } from 'node:timers/promises'
import type { Admin } from '@platformatic/kafka'
import type { ClickHouseClient } from '../../src/clickhouse/client.ts'
import { createAdmin } from '../../src/kafka/clients.ts'
import { endOffsets, groupLag } from '../../src/kafka/lag.ts'
import type { Config } from '../../src/config/types.ts'
import { count } from '../helpers/stack.ts'

/**
 * How long the pipeline takes to recover from each fault, measured from outside as a user would see it.
 *
 * `mark(label)` is called when a fault ends (the server answers again, the proxy lets traffic through, the
 * killed bridge was restarted...). It notes the end offsets of the data topics and the trade rows at that
 * moment; a poller then records, for every open mark,
 *   - rowsResumeS: the first time the trade row count grew past the count at the mark (rows flow again),
 *   - caughtUpS: the first time the group's committed offsets reached the end offsets noted at the mark in
 *     every partition (everything produced before the fault's end is in ClickHouse and committed).
 * Marks may overlap (kills every 10 s); each is timed on its own. It also keeps a coarse timeline (lag, rows)
 * for the report.
 */
export interface RecoveryMark {
  label: string
  at: number
  rowsAtMark: number
  ends: Map<string, bigint>
  rowsResumeS: number | null
  caughtUpS: number | null
}

export interface TimelinePoint {
  t: number
  lag: number | null
  rows: number | null
}

export class RecoveryTracker {
  readonly marks: RecoveryMark[] = []
  readonly timeline: TimelinePoint[] = []
  readonly #config: Config
  readonly #clickhouse: ClickHouseClient
  readonly #topics: string[]
  readonly #started = Date.now()
  #admin: Admin
  #running = true
  #loop: Promise<void>

  constructor(config: Config, clickhouse: ClickHouseClient, topics: string[]) {
    this.#config = config
    this.#clickhouse = clickhouse
    this.#topics = topics
    this.#admin = createAdmin(config.kafka, 'tickbridge-faults-recovery')
    this.#loop = this.#poll()
  }

  /** Trade rows as inserted (before FINAL: repeats included): cheap, and only ever grows. */
  rows(): Promise<number> {
    return count(this.#clickhouse, `SELECT count() AS n FROM ${this.#config.clickhouse.database}.trades`)
  }

  /** Notes the end of a fault; needs Kafka and ClickHouse answering (retries for up to 60 s). */
  async mark(label: string): Promise<RecoveryMark> {
    const at = Date.now()
    const deadline = at + 60_000
    for (;;) {
      try {
        const [ends, rowsAtMark] = await Promise.all([endOffsets(this.#admin, this.#topics), this.rows()])
        const mark: RecoveryMark = { label, at, rowsAtMark, ends, rowsResumeS: null, caughtUpS: null }
        this.marks.push(mark)
        return mark
      } catch (error) {
        if (Date.now() > deadline) throw error
        await this.#renewAdmin()
        await sleep(250)
      }
    }
  }

  /** Waits until every mark is caught up (or `timeoutMs`); returns the marks still open. */
  async settle(timeoutMs: number): Promise<RecoveryMark[]> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline && this.marks.some((m) => m.caughtUpS === null)) await sleep(250)
    return this.marks.filter((m) => m.caughtUpS === null)
  }

  async close(): Promise<void> {
    this.#running = false
    await this.#loop
    await this.#admin.close().catch(() => undefined)
  }

  async #renewAdmin(): Promise<void> {
    const old = this.#admin
    this.#admin = createAdmin(this.#config.kafka, 'tickbridge-faults-recovery')
    await Promise.race([old.close().catch(() => undefined), sleep(2_000, undefined, { ref: false })])
  }

  async #poll(): Promise<void> {
    let lastSample = 0
    while (this.#running) {
      let lag: number | null = null
      let rows: number | null = null
      let rowsAt = Date.now()
      try {
        rows = await this.rows()
        rowsAt = Date.now()
      } catch {
        /* ClickHouse away */
      }
      const open = this.marks.filter((m) => m.caughtUpS === null || m.rowsResumeS === null)
      try {
        const partitions = await groupLag(this.#admin, this.#config.bridge.groupId, this.#topics)
        const now = Date.now()
        lag = partitions.reduce((sum, p) => sum + Number(p.lag), 0)
        const committed = new Map(partitions.map((p) => [`${p.topic}:${p.partition}`, p.committed]))
        for (const mark of open) {
          if (mark.caughtUpS !== null) continue
          const done = [...mark.ends].every(([key, end]) => end === 0n || (committed.get(key) ?? -1n) >= end)
          if (done) mark.caughtUpS = (now - mark.at) / 1000
        }
      } catch {
        await this.#renewAdmin() // Kafka away: a fresh client once it is back
      }
      if (rows !== null)
        for (const mark of open)
          if (mark.rowsResumeS === null && rows > mark.rowsAtMark && rowsAt > mark.at)
            mark.rowsResumeS = (rowsAt - mark.at) / 1000
      if (rowsAt - lastSample >= 1_000) {
        lastSample = rowsAt
        this.timeline.push({ t: Math.round((rowsAt - this.#started) / 100) / 10, lag, rows })
      }
      await sleep(250)
    }
  }
}
