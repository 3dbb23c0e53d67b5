/**
 * One status line on stderr for long commands (`loadtest`, `replay`): rewritten in place on a terminal, at
 * most 10 times a second; elsewhere (a pipe, a log file) printed as plain lines at most once every
 * `plainEveryMs`, so logs stay readable. stdout is left to the command's result.
 */
export class ProgressLine {
  readonly #stream: NodeJS.WriteStream
  readonly #tty: boolean
  readonly #everyMs: number
  #last = 0
  #pending: string | null = null

  constructor(options: { stream?: NodeJS.WriteStream; plainEveryMs?: number } = {}) {
    this.#stream = options.stream ?? process.stderr
    this.#tty = this.#stream.isTTY === true
    this.#everyMs = this.#tty ? 100 : (options.plainEveryMs ?? 2000)
  }

  update(text: string): void {
    const now = Date.now()
    this.#pending = text
    if (now - this.#last < this.#everyMs) return
    this.#last = now
    this.#write(text)
    this.#pending = null
  }

  /** Writes the last state (or `text`) and ends the line. */
  done(text?: string): void {
    const final = text ?? this.#pending
    if (final !== null) this.#write(final)
    if (this.#tty && (final !== null || this.#last > 0)) this.#stream.write('\n')
    this.#pending = null
    this.#last = 0
  }

  #write(text: string): void {
    if (this.#tty) this.#stream.write(`\r\x1b[2K${text.slice(0, (this.#stream.columns || 120) - 1)}`)
    else this.#stream.write(`${text}\n`)
  }
}

/** `[########----------------]` for a fraction from 0 to 1. */
export function progressBar(fraction: number, width = 24): string {
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)))
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`
}

export const formatCount = (n: number): string => Math.round(n).toLocaleString('en-US')

/** 75 -> "1m15s", 8.4 -> "8s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?'
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`
}
