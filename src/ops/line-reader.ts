import { createReadStream, type ReadStream } from 'node:fs'
import type { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'

/**
 * A text file read as lines, chunk by chunk, never whole: memory stays at one chunk however large the file
 * (the stream is paused while the consumer is busy). `.gz` files are decompressed on the way.
 * `bytesRead` counts the file's own bytes (compressed, for `.gz`), for progress against its size.
 */
export class LineReader {
  readonly #file: ReadStream
  readonly #text: Readable

  constructor(path: string) {
    this.#file = createReadStream(path, { highWaterMark: 256 * 1024 })
    this.#text = path.endsWith('.gz') ? this.#file.pipe(createGunzip()) : this.#file
    if (this.#text !== this.#file) this.#file.on('error', (error) => this.#text.destroy(error))
    this.#text.setEncoding('utf8')
  }

  get bytesRead(): number {
    return this.#file.bytesRead
  }

  /** The lines of each chunk (without their `\n` or `\r\n`); the last line need not end with a newline. */
  async *lines(): AsyncGenerator<string[]> {
    let rest = ''
    let first = true
    for await (const chunk of this.#text as AsyncIterable<string>) {
      let text = rest + chunk
      if (first) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1) // a byte-order mark
        first = false
      }
      const lines = text.split('\n')
      rest = lines.pop() ?? ''
      if (lines.length > 0) yield lines.map(stripCr)
    }
    if (rest !== '') yield [stripCr(rest)]
  }

  close(): void {
    this.#text.destroy()
    this.#file.destroy()
  }
}

const stripCr = (line: string) => (line.endsWith('\r') ? line.slice(0, -1) : line)
