/** Counters of one bridge instance: what it received by type, inserted, dead-lettered and committed. */
export class BridgeStats {
  readonly receivedByType = new Map<string, number>()
  readonly insertedByTable = new Map<string, number>()
  insertCount = 0
  insertLatencyMsTotal = 0
  insertLatencyMsMax = 0
  deadLetterCount = 0
  commitCount = 0
  errorCount = 0
  backpressureCount = 0
  /** Rows inserted again because ClickHouse restarted before they left its write buffer. */
  reinsertedCount = 0
  #windowLatencyMax = 0
  /** Observers of each insert (the Prometheus histogram). */
  readonly insertListeners: ((table: string, rows: number, latencyMs: number) => void)[] = []

  received(type: string): void {
    this.receivedByType.set(type, (this.receivedByType.get(type) ?? 0) + 1)
  }

  inserted(table: string, rows: number, latencyMs: number): void {
    this.insertedByTable.set(table, (this.insertedByTable.get(table) ?? 0) + rows)
    this.insertCount++
    this.insertLatencyMsTotal += latencyMs
    if (latencyMs > this.insertLatencyMsMax) this.insertLatencyMsMax = latencyMs
    if (latencyMs > this.#windowLatencyMax) this.#windowLatencyMax = latencyMs
    for (const listener of this.insertListeners) listener(table, rows, latencyMs)
  }

  /** The largest insert latency since the previous call (for heartbeats). */
  takeWindowLatencyMax(): number {
    const max = this.#windowLatencyMax
    this.#windowLatencyMax = 0
    return max
  }

  deadLettered(count: number): void {
    this.deadLetterCount += count
  }

  committed(partitions: number): void {
    this.commitCount += partitions
  }

  reinserted(rows: number): void {
    this.reinsertedCount += rows
  }

  error(): void {
    this.errorCount++
  }

  backpressure(): void {
    this.backpressureCount++
  }

  snapshot() {
    return {
      received: Object.fromEntries(this.receivedByType),
      inserted: Object.fromEntries(this.insertedByTable),
      inserts: this.insertCount,
      insertLatencyMsAvg: this.insertCount
        ? Math.round((this.insertLatencyMsTotal / this.insertCount) * 10) / 10
        : 0,
      insertLatencyMsMax: Math.round(this.insertLatencyMsMax * 10) / 10,
      deadLettered: this.deadLetterCount,
      errors: this.errorCount,
      backpressureEvents: this.backpressureCount,
      reinserted: this.reinsertedCount
    }
  }
}
