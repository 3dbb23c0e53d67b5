import {
  appendFileSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  truncateSync,
  writeSync
} from 'node:fs'
import { join } from 'node:path'
import { ErrorCodes, TickbridgeError } from '../errors.ts'

/** A message on its way to Kafka: its topic, key (absent for the DLQ) and JSON value. */
export interface OutgoingMessage {
  topic: string
  key?: string
  value: string
}

export interface SpoolOptions {
  /** A segment file is closed after this many messages (it is read back whole). */
  segmentMessages: number
  /** Past this many bytes on disk, further messages are refused (counted by the caller as dropped). */
  maxBytes: number
}

interface Segment {
  seq: number
  path: string
  messages: number
  bytes: number
}

const SEGMENT = /^(\d{12})\.ndjson$/
const name = (seq: number) => `${String(seq).padStart(12, '0')}.ndjson`
/** Room below the first sequence number for segments written in front of the others (see prepend). */
const FIRST_SEQ = 1_000_000_000

/**
 * A feed's overflow to disk: an ordered list of NDJSON segment files in one directory per feed instance.
 * Messages are appended to the newest segment and read back whole segments at a time, oldest first. The
 * caller deletes a segment (`release`) only once Kafka acknowledged every message read from it, so a crash
 * replays some messages (the tables' identity absorbs repeats) and never loses one. Segments left by an
 * earlier run of the same instance are found again by `open` and replayed first.
 *
 * A lock file holds the directory for one live process: two feeds with the same instance id would
 * interleave their segments.
 */
export class DiskSpool {
  readonly dir: string
  readonly #options: SpoolOptions
  /** On disk and not read yet, oldest first; the last one is still appended to until it is full. */
  readonly #segments: Segment[] = []
  #nextSeq = FIRST_SEQ
  /** The lowest sequence number on disk, including segments handed out and not released yet. */
  #lowestSeq = FIRST_SEQ
  #bytes = 0
  /** Segments handed out by takeOldest and not released yet: their bytes, still on disk. */
  readonly #taken = new Map<string, number>()

  private constructor(dir: string, options: SpoolOptions) {
    this.dir = dir
    this.#options = options
  }

  /** Opens (creating it if needed) and locks the spool directory, and finds what an earlier run left. */
  static open(dir: string, options: SpoolOptions): DiskSpool {
    mkdirSync(dir, { recursive: true })
    lock(dir)
    const spool = new DiskSpool(dir, options)
    const found = readdirSync(dir)
      .map((file) => SEGMENT.exec(file))
      .filter((match) => match !== null)
      .map((match) => Number(match[1]))
      .sort((a, b) => a - b)
    for (const seq of found) {
      const path = join(dir, name(seq))
      const body = readFileSync(path)
      let messages = 0
      for (let i = body.indexOf(10); i !== -1; i = body.indexOf(10, i + 1)) messages++
      spool.#segments.push({ seq, path, messages, bytes: body.length })
      spool.#bytes += body.length
    }
    spool.#nextSeq = Math.max(FIRST_SEQ, (found.at(-1) ?? 0) + 1)
    spool.#lowestSeq = Math.min(FIRST_SEQ, found[0] ?? FIRST_SEQ)
    return spool
  }

  /** Messages on disk that have not been read back yet. */
  get messages(): number {
    return this.#segments.reduce((sum, segment) => sum + segment.messages, 0)
  }

  /** Bytes of every segment still on disk (read back or not: a segment is deleted on release). */
  get bytes(): number {
    return this.#bytes
  }

  get empty(): boolean {
    return this.#segments.length === 0
  }

  /** Appends after everything already spooled; returns how many fitted under maxBytes (a prefix). */
  append(messages: OutgoingMessage[]): number {
    let written = 0
    while (written < messages.length) {
      let tail = this.#segments.at(-1)
      if (!tail || tail.messages >= this.#options.segmentMessages) {
        tail = { seq: this.#nextSeq++, path: '', messages: 0, bytes: 0 }
        tail.path = join(this.dir, name(tail.seq))
        this.#segments.push(tail)
      }
      const room = this.#options.segmentMessages - tail.messages
      const chunk = messages.slice(written, written + room)
      const body = chunk.map((message) => JSON.stringify(message) + '\n').join('')
      const bytes = Buffer.byteLength(body)
      if (this.#bytes + bytes > this.#options.maxBytes) break
      try {
        appendFileSync(tail.path, body)
      } catch (error) {
        // A full disk (ENOSPC) can leave part of the body written: cut the segment back to its last whole
        // line so reading it back never meets a torn message, and let the caller count the rest as dropped.
        if (tail.messages === 0) {
          this.#segments.pop()
          rmSync(tail.path, { force: true })
        } else {
          truncateQuietly(tail.path, tail.bytes)
        }
        throw error
      }
      tail.messages += chunk.length
      tail.bytes += bytes
      this.#bytes += bytes
      written += chunk.length
    }
    return written
  }

  /**
   * Writes messages in FRONT of everything spooled (durably, before returning): the feed's in-memory queue
   * when it stops, which comes before what had already overflowed to disk. Never refused for size.
   */
  prepend(messages: OutgoingMessage[]): void {
    if (messages.length === 0) return
    const seq = --this.#lowestSeq
    const segment = { seq, path: join(this.dir, name(seq)), messages: messages.length, bytes: 0 }
    const body = messages.map((message) => JSON.stringify(message) + '\n').join('')
    segment.bytes = Buffer.byteLength(body)
    const fd = openSync(segment.path, 'w')
    try {
      writeSync(fd, body)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    this.#segments.unshift(segment)
    this.#bytes += segment.bytes
  }

  /**
   * Reads the oldest segment whole and hands back its messages with the path to `release` once all of
   * them are acknowledged. The segment is no longer appended to. Null when nothing is spooled.
   */
  takeOldest(): { messages: OutgoingMessage[]; path: string; unreadable: number } | null {
    const segment = this.#segments.shift()
    if (!segment) return null
    const messages: OutgoingMessage[] = []
    let unreadable = 0
    // A line that does not parse (a torn write from a crash or a full disk) is skipped and counted, never
    // thrown: one bad line must not stop the feed or lose the rest of the segment.
    this.#taken.set(segment.path, segment.bytes)
    let text: string
    try {
      text = readFileSync(segment.path, 'utf8')
    } catch {
      // Gone or unreadable (removed by hand, a disk error): its messages are a gap to report, not a crash.
      return { messages, path: segment.path, unreadable: segment.messages }
    }
    for (const line of text.split('\n')) {
      if (line.length === 0) continue
      const message = parseSpooled(line)
      if (message) messages.push(message)
      else unreadable++
    }
    return { messages, path: segment.path, unreadable }
  }

  /** Deletes a segment handed out by takeOldest. */
  release(path: string): void {
    const bytes = this.#taken.get(path)
    if (bytes === undefined) return
    try {
      unlinkSync(path)
    } catch (error) {
      // Not removable: it stays on disk and counted, and the next run produces it again (the tables' identity
      // absorbs the repeat). Never a throw into the publisher's send path.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return
    }
    this.#taken.delete(path)
    this.#bytes -= bytes
  }

  /** Gives up the directory lock; what is on disk stays for the next run. */
  close(): void {
    rmSync(join(this.dir, LOCK_FILE), { force: true })
  }
}

/** Cuts a segment back to its last whole message; a file that cannot even be opened has nothing to cut. */
function truncateQuietly(path: string, bytes: number): void {
  try {
    truncateSync(path, bytes)
  } catch {
    // ENOENT / EACCES: nothing torn was written there
  }
}

function parseSpooled(line: string): OutgoingMessage | null {
  try {
    const message = JSON.parse(line) as Partial<OutgoingMessage> | null
    return message && typeof message.topic === 'string' && typeof message.value === 'string'
      ? (message as OutgoingMessage)
      : null
  } catch {
    return null
  }
}

const LOCK_FILE = 'lock'

function lock(dir: string): void {
  const path = join(dir, LOCK_FILE)
  try {
    writeFileSync(path, String(process.pid), { flag: 'wx' })
    return
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  const holder = Number(readFileSync(path, 'utf8'))
  if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
    throw new TickbridgeError(
      ErrorCodes.COMMAND_FAILED,
      `the feed spool ${dir} is in use by process ${holder}`,
      {
        hint: 'Two feeds share an instance id. Give each its own (INSTANCE_ORDINAL), or stop the other one.'
      }
    )
  }
  writeFileSync(path, String(process.pid)) // left by a process that is gone
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
