/**
 * Deliveries of a source that has no partition offsets (a NATS JetStream work queue), held until they may be
 * acknowledged. Each delivery is numbered as it arrives — its offset, one counter per source — so the offset
 * tracker handles them as one partition: once it says the partition may commit up to X, every delivery below X
 * is in a settled batch (its rows are in ClickHouse, or its dead letter in Kafka) and can be acknowledged.
 *
 * Why a counter and not the stream's own sequence: a redelivered message carries its old, lower sequence; the
 * tracker's commit position never goes back, so an old sequence read after a commit would be held forever. A
 * counter only grows. Pure: the caller acknowledges what it is handed.
 */
interface Held<T> {
  readonly offset: bigint
  readonly delivery: T
  /** When the delivery's lease was last renewed (or it arrived), epoch ms. */
  renewedAt: number
}

export class PendingAcks<T> {
  #items: Held<T>[] = []
  #head = 0
  #next = 0n

  /** Deliveries held (not yet handed back by takeBelow). */
  get size(): number {
    return this.#items.length - this.#head
  }

  /** Holds `delivery`; returns its offset. */
  hold(delivery: T, now: number): bigint {
    const offset = this.#next++
    this.#items.push({ offset, delivery, renewedAt: now })
    return offset
  }

  /** Hands back, oldest first, every delivery whose offset is below `offset`, and stops holding them. */
  takeBelow(offset: bigint): T[] {
    const taken: T[] = []
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head] as Held<T>
      if (item.offset >= offset) break
      taken.push(item.delivery)
      this.#head++
    }
    this.#compact()
    return taken
  }

  /** Deliveries last renewed before `before` (their ack deadline nears), marked renewed at `now`. */
  due(before: number, now: number): T[] {
    const due: T[] = []
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i] as Held<T>
      if (item.renewedAt < before) {
        item.renewedAt = now
        due.push(item.delivery)
      }
    }
    return due
  }

  /** Hands back every delivery still held, and holds none. */
  takeAll(): T[] {
    const all = this.#items.slice(this.#head).map((item) => item.delivery)
    this.#items = []
    this.#head = 0
    return all
  }

  /** Drops the taken prefix once it is most of the array (amortised O(1) per delivery). */
  #compact(): void {
    if (this.#head === this.#items.length) {
      this.#items = []
      this.#head = 0
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
  }
}
