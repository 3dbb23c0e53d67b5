import type { Logger } from 'pino'
import type { Heartbeat, HeartbeatReply } from '../core/heartbeat.ts'
import { describeError } from '../errors.ts'

export interface HeartbeatSenderOptions {
  /** The hub's base URL, e.g. http://127.0.0.1:8700. */
  hubUrl: string
  token: string
  intervalMs: number
  build(): Heartbeat
  /** The hub's reply, or null when the hub could not be reached (or refused us): fall back to local rules. */
  onReply(reply: HeartbeatReply | null): void
  log: Logger
}

/**
 * Sends a heartbeat to the hub every interval and hands the reply (the cluster's backpressure decision) to the
 * instance. The hub being down never stops the instance: it logs once, reports null, and keeps trying.
 */
export class HeartbeatSender {
  readonly #options: HeartbeatSenderOptions
  #timer: NodeJS.Timeout | null = null
  #reachable: boolean | null = null
  #sending = false
  sent = 0

  constructor(options: HeartbeatSenderOptions) {
    this.#options = options
  }

  start(): void {
    this.#timer = setInterval(() => void this.sendNow(), this.#options.intervalMs)
    this.#timer.unref()
    void this.sendNow()
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
  }

  async sendNow(): Promise<void> {
    if (this.#sending) return
    this.#sending = true
    const { hubUrl, token, intervalMs, log } = this.#options
    try {
      const response = await fetch(`${hubUrl}/api/heartbeats`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(this.#options.build()),
        signal: AbortSignal.timeout(Math.max(500, intervalMs * 2))
      })
      if (response.status === 401) {
        this.#unreachable('the hub refused the heartbeat token (401): give every process the same HUB_TOKEN')
        return
      }
      if (response.status === 409) {
        const { reason } = (await response.json().catch(() => ({}))) as { reason?: string }
        this.#unreachable(`the hub refused this instance (409): ${reason ?? 'its instance id is taken'}`)
        return
      }
      if (!response.ok) {
        this.#unreachable(`the hub answered ${response.status}: ${(await response.text()).slice(0, 200)}`)
        return
      }
      const reply = (await response.json()) as HeartbeatReply
      this.sent++
      if (this.#reachable !== true)
        log.info({ hub: hubUrl }, 'hub reachable: following its backpressure decisions')
      this.#reachable = true
      this.#options.onReply(reply)
    } catch (error) {
      this.#unreachable(`hub unreachable at ${hubUrl}: ${describeError(error)}`, error)
    } finally {
      this.#sending = false
    }
  }

  #unreachable(reason: string, error?: unknown): void {
    if (this.#reachable !== false)
      this.#options.log.warn(
        error === undefined ? {} : { err: error },
        `${reason}; using this instance's own watermarks`
      )
    this.#reachable = false
    this.#options.onReply(null)
  }
}
