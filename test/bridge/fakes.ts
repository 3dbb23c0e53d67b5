/**
 * In-memory fakes of the bridge worker's ports, for unit tests that inject faults a real server cannot produce on
 * demand. They record what a user would observe: rows inserted, offsets committed, dead letters sent.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import type {
  DeadLetter,
  DeadLetterSink,
  MessageSource,
  PersistResult,
  RowSink,
  SourceMessage,
  WriteBuffer
} from '../../src/bridge/ports.ts'
import { partitionKey, type CommitPosition, type PartitionKey } from '../../src/core/offset-tracker.ts'
import type { TableName } from '../../src/core/rows.ts'

export const silentLog = pino({ level: 'silent' })

export class FakeSource implements MessageSource {
  onMessage: ((message: SourceMessage) => void) | null = null
  readonly commits: CommitPosition[][] = []
  pauses = 0
  resumes = 0
  closes = 0
  owned: Set<PartitionKey> | undefined = undefined
  /** Called after pause()/resume() is recorded, e.g. to capture the worker's fill at that moment. */
  onPause: () => void = () => undefined
  onResume: () => void = () => undefined
  /** What fetchLandingBefore() answers: a read timed to the batch is on its way. */
  landing = false

  fetchLandingBefore(): boolean {
    return this.landing
  }

  async start(onMessage: (message: SourceMessage) => void): Promise<void> {
    this.onMessage = onMessage
  }

  pause(): void {
    this.pauses++
    this.onPause()
  }

  resume(): void {
    this.resumes++
    this.onResume()
  }

  async commit(positions: CommitPosition[]): Promise<void> {
    this.commits.push(positions.map((p) => ({ ...p })))
  }

  ownedPartitions(): Set<PartitionKey> | undefined {
    return this.owned
  }

  async close(): Promise<void> {
    this.closes++
  }

  /** Delivers one message value the way Kafka would. */
  push(topic: string, partition: number, offset: bigint, value: string | undefined): void {
    if (!this.onMessage) throw new Error('source not started')
    this.onMessage({
      topic,
      partition,
      offset,
      key: undefined,
      value: value === undefined ? undefined : Buffer.from(value, 'utf8')
    })
  }

  /** The highest committed offset of each partition (partitionKey(), "topic:partition" -> next offset to read). */
  committed(): Map<string, bigint> {
    const out = new Map<string, bigint>()
    for (const positions of this.commits) {
      for (const p of positions) {
        const key = partitionKey(p)
        const previous = out.get(key)
        if (previous === undefined || p.offset > previous) out.set(key, p.offset)
      }
    }
    return out
  }
}

export interface InsertCall {
  table: TableName
  body: string
  dedupToken: string
}

/** Decides what one insert attempt does: return to accept it, throw to fail it. */
export type InsertBehaviour = (call: InsertCall, attempt: number) => Promise<void> | void

export class FakeSink implements RowSink {
  /** Every attempt, accepted or not. */
  readonly attempts: InsertCall[] = []
  /** Accepted inserts only. */
  readonly accepted: InsertCall[] = []
  behaviour: InsertBehaviour
  /** Set to make inserts land in a write buffer (FakeWriteBuffer). */
  buffer?: WriteBuffer

  constructor(behaviour: InsertBehaviour = () => undefined) {
    this.behaviour = behaviour
  }

  async insert(table: TableName, buffers: Buffer[], dedupToken: string): Promise<void> {
    const call = { table, body: Buffer.concat(buffers).toString('utf8'), dedupToken }
    this.attempts.push(call)
    await this.behaviour(call, this.attempts.length)
    this.accepted.push(call)
  }

  /** Rows of `table` that were accepted, parsed. */
  rows(table: TableName): Record<string, unknown>[] {
    return this.accepted
      .filter((call) => call.table === table)
      .flatMap((call) => call.body.split('\n').filter((line) => line.length > 0))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
  }
}

/**
 * ClickHouse's write buffer as the bridge sees it: persist() waits until the test calls flush(); a restart()
 * before that makes the rows of the older epoch 'lost'.
 */
export class FakeWriteBuffer implements WriteBuffer {
  current = 1
  requests = 0
  hurried = false
  readonly #waiting: { epoch: number; resolve: (result: PersistResult) => void }[] = []

  /** Like ClickHouse's: `candles` has no buffer. */
  holds(table: TableName): boolean {
    return table !== 'candles'
  }

  epoch(): number {
    return this.current
  }

  persist(_table: TableName, epoch: number): Promise<PersistResult> {
    this.requests++
    return new Promise((resolve) => this.#waiting.push({ epoch, resolve }))
  }

  hurry(): void {
    this.hurried = true
  }

  get waiting(): number {
    return this.#waiting.length
  }

  /** A flush: the rows of the current epoch are stored, those of an older one were lost. */
  flush(): void {
    for (const { epoch, resolve } of this.#waiting.splice(0))
      resolve(epoch === this.current ? 'stored' : 'lost')
  }

  /** The server restarted: what it buffered is gone. */
  restart(): void {
    this.current++
  }
}

export class FakeDeadLetters implements DeadLetterSink {
  readonly letters: DeadLetter[] = []

  async send(letters: DeadLetter[]): Promise<void> {
    this.letters.push(...letters)
  }
}

/** A promise with its resolve exposed, to hold a fake port until the test lets it go. */
export class Gate {
  readonly opened: Promise<void>
  open: () => void = () => undefined

  constructor() {
    this.opened = new Promise<void>((resolve) => {
      this.open = resolve
    })
  }
}

/** Waits until `condition` holds, polling; fails with `message` if it never does within `timeoutMs`. */
export async function eventually(
  condition: () => boolean,
  message: () => string,
  timeoutMs = 5_000
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${message()}`)
    await sleep(2)
  }
}

/** A ClickHouse-like error: a message and a string `code`. */
export function clickHouseError(message: string, code: string): Error & { code: string } {
  return Object.assign(new Error(message), { code })
}
