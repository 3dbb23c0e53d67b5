import { Writable } from 'node:stream'
import { pino, type Logger } from 'pino'

/** A logger whose lines a test can read (and search for what must, or must never, be logged). */
export function capturedLog(): { log: Logger; text: () => string } {
  const lines: string[] = []
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString())
        done()
      }
    })
  )
  return { log, text: () => lines.join('') }
}
