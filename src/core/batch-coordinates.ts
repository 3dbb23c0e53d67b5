import type { CandleScope, ScopeMap } from './candles.ts'
import type { TopicPartition } from './offset-tracker.ts'

/**
 * Compact per-message bookkeeping for a batch of up to tens of thousands of messages that lives until its
 * insert returns. An object per message (its coordinates, a scope-key string) survives V8's young-generation
 * collections, is copied and promoted, and made most of the bridge's garbage-collection cost and heap growth
 * in the drain's profile. These keep the same facts in typed arrays and a few shared objects. Pure: memory only.
 */

const INITIAL_CAPACITY = 1024

/** The (topic, partition, offset) of each message of a batch, in the order added, without an object each. */
export class MessageCoordinates {
  readonly #partitions: TopicPartition[] = []
  #partitionOf = new Uint16Array(INITIAL_CAPACITY)
  #offsets = new BigInt64Array(INITIAL_CAPACITY)
  /** Index into #partitions of the last message's partition: messages come in runs of one partition. */
  #last = -1
  #length = 0

  get length(): number {
    return this.#length
  }

  add(topic: string, partition: number, offset: bigint): void {
    let index = this.#last
    const known = index >= 0 ? this.#partitions[index] : undefined
    if (known === undefined || known.partition !== partition || known.topic !== topic) {
      index = this.#indexOf(topic, partition)
      this.#last = index
    }
    if (this.#length === this.#offsets.length) this.#grow()
    this.#partitionOf[this.#length] = index
    this.#offsets[this.#length] = offset
    this.#length++
  }

  /** Message `i`'s coordinates (a new object: for the rare paths, splitting and dead letters). */
  at(i: number): TopicPartition & { offset: bigint } {
    if (i < 0 || i >= this.#length) throw new RangeError(`no message ${i} in a batch of ${this.#length}`)
    const { topic, partition } = this.#partitions[this.#partitionOf[i] as number] as TopicPartition
    return { topic, partition, offset: this.#offsets[i] as bigint }
  }

  /** Forget the messages (the batch keeps its counts and offsets elsewhere). */
  clear(): void {
    this.#partitionOf = new Uint16Array(0)
    this.#offsets = new BigInt64Array(0)
    this.#length = 0
  }

  #indexOf(topic: string, partition: number): number {
    const found = this.#partitions.findIndex((p) => p.partition === partition && p.topic === topic)
    if (found >= 0) return found
    if (this.#partitions.length === 0xffff) throw new RangeError('a batch reads at most 65,535 partitions')
    this.#partitions.push({ topic, partition })
    return this.#partitions.length - 1
  }

  #grow(): void {
    const capacity = Math.max(INITIAL_CAPACITY, this.#offsets.length * 2)
    const partitionOf = new Uint16Array(capacity)
    partitionOf.set(this.#partitionOf.subarray(0, this.#length))
    const offsets = new BigInt64Array(capacity)
    offsets.set(this.#offsets.subarray(0, this.#length))
    this.#partitionOf = partitionOf
    this.#offsets = offsets
  }
}

interface IndexedScope {
  readonly bytes: Buffer
  readonly scope: CandleScope
}

/**
 * The batch's candle scopes found by the key's bytes in a message (scopeKey() text, e.g. from the trade fast
 * path) instead of by a string made per message: a 32-bit FNV-1a hash of the bytes, checked byte for byte
 * against the key seen first. A key whose hash another key already holds takes the string path (still exact).
 */
export class ScopeIndex {
  readonly #byHash = new Map<number, IndexedScope>()

  /** Widens the scope of the key bytes `value[start, end)` to `ts`; false when the caller must use the string path. */
  widen(value: Buffer, start: number, end: number, ts: number): boolean {
    const entry = this.#byHash.get(hashBytes(value, start, end))
    if (entry === undefined || !sameBytes(entry.bytes, value, start, end)) return false
    const scope = entry.scope
    if (ts < scope.fromTs) scope.fromTs = ts
    if (ts > scope.toTs) scope.toTs = ts
    return true
  }

  /** Index the scope `scopes` holds under the key bytes `value[start, end)` (after the string path made it). */
  remember(scopes: ScopeMap, key: string, value: Buffer, start: number, end: number): void {
    const hash = hashBytes(value, start, end)
    const scope = scopes.get(key)
    if (scope === undefined || this.#byHash.has(hash)) return
    this.#byHash.set(hash, { bytes: Buffer.from(value.subarray(start, end)), scope })
  }
}

function hashBytes(value: Buffer, start: number, end: number): number {
  let hash = 0x811c9dc5
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ (value[i] as number), 0x01000193)
  return hash >>> 0
}

function sameBytes(bytes: Buffer, value: Buffer, start: number, end: number): boolean {
  if (bytes.length !== end - start) return false
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== value[start + i]) return false
  return true
}
