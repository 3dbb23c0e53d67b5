/**
 * An insert body built in place: rows are written straight into byte chunks, not kept as one string each and
 * joined at the end (which cost a string per row, a join of 20k strings and its garbage). Rows can be copied
 * byte for byte from the Kafka message they came from (see trade-fast-path.ts). Row boundaries are kept so a
 * batch can still be split to isolate a row the server rejects. Pure: memory only.
 */
const CHUNK_BYTES = 256 * 1024
/** Longer spans are copied natively. */
const SHORT_COPY = 64

export class RowBody {
  readonly #chunks: Buffer[] = []
  #current: Buffer = Buffer.allocUnsafe(0)
  #used = 0
  /** Byte offset (over the whole body) where each row ends. */
  #ends: number[] = []
  #bytes = 0

  get rows(): number {
    return this.#ends.length
  }

  get bytes(): number {
    return this.#bytes
  }

  #reserve(n: number): void {
    if (this.#current.length - this.#used >= n) return
    if (this.#used > 0) this.#chunks.push(this.#current.subarray(0, this.#used))
    this.#current = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, n))
    this.#used = 0
  }

  /** Appends a row given as text (it must end with its newline). */
  appendLine(line: string): void {
    const length = Buffer.byteLength(line)
    this.#reserve(length)
    this.#used += this.#current.write(line, this.#used, 'utf8')
    this.#endRow(length)
  }

  /** Starts a row of at most `maxBytes`, written with copy/putBytes calls, finished with endRow(). */
  begin(maxBytes: number): void {
    this.#reserve(maxBytes)
    this.#rowStart = this.#used
  }

  #rowStart = 0

  /**
   * Bytes [start, end) of `source`. Spans of a row's fields are short: a JS loop copies them several times
   * faster than Buffer#copy or #write, whose native call costs more than the bytes (measured in the drain's
   * CPU profile: the two calls were close to half the time spent in tickbridge's own code).
   */
  copy(source: Uint8Array, start: number, end: number): void {
    const target = this.#current
    let at = this.#used
    if (end - start > SHORT_COPY) {
      target.set(source.subarray(start, end), at)
      at += end - start
    } else for (let i = start; i < end; i++) target[at++] = source[i] as number
    this.#used = at
  }

  /** All of `bytes` (a constant of the row format, encoded once). */
  putBytes(bytes: Uint8Array): void {
    this.copy(bytes, 0, bytes.length)
  }

  endRow(): void {
    this.#endRow(this.#used - this.#rowStart)
  }

  #endRow(length: number): void {
    this.#bytes += length
    this.#ends.push(this.#bytes)
  }

  /** The body as buffers, in order (no copy). */
  buffers(): Buffer[] {
    return this.#used > 0 ? [...this.#chunks, this.#current.subarray(0, this.#used)] : [...this.#chunks]
  }

  /** Rows [from, to) as one buffer (a copy). */
  slice(from: number, to: number): Buffer {
    const start = from === 0 ? 0 : (this.#ends[from - 1] ?? 0)
    const end = to === 0 ? 0 : (this.#ends[to - 1] ?? 0)
    return Buffer.concat(this.buffers()).subarray(start, end)
  }

  /** Drop the bytes (the batch keeps its counts). */
  release(): void {
    this.#chunks.length = 0
    this.#current = Buffer.allocUnsafe(0)
    this.#used = 0
    this.#ends = []
  }
}
