import type { Logger } from 'pino'
import WebSocket from 'ws'
import { backoffMs } from '../core/insert-errors.ts'

/**
 * One exchange WebSocket connection's lifecycle, written once: connect, subscribe, ping, stale detection,
 * reconnect with capped exponential backoff that resets after the first good message, resubscribe.
 * An exchange supplies only its URL, its subscribe messages and a frame handler (see exchanges/).
 */
export interface ExchangeSession {
  url: string
  /** Messages to send after each (re)connect, in order. */
  subscribeMessages(): unknown[]
  /** Called for every text frame with its receive time; returns a reply to send (e.g. a ping answer), if any. */
  onFrame(text: string, recvTs: number): unknown
  /** Called when a new connection opens, before subscribing (reset per-connection state here). */
  onConnect?(): void
}

/** Returned by an exchange's onFrame when retrying cannot help (e.g. the API key was refused). */
export class StopConnection {
  readonly reason: string
  constructor(reason: string) {
    this.reason = reason
  }
}

export interface ConnectionOptions {
  /** WebSocket ping interval; the pong (or any frame) proves the connection alive. */
  pingIntervalMs: number
  /** No frame and no pong for this long: the connection is dead. Quiet symbols do not count: pongs do. */
  staleAfterMs: number
  reconnectMaxDelayMs: number
}

export const defaultConnectionOptions: ConnectionOptions = {
  pingIntervalMs: 10_000,
  staleAfterMs: 30_000,
  reconnectMaxDelayMs: 32_000
}

export class FeedConnection {
  readonly #session: ExchangeSession
  readonly #options: ConnectionOptions
  readonly #log: Logger
  #socket: WebSocket | null = null
  #attempt = 0
  #lastSeen = 0
  #timers: NodeJS.Timeout[] = []
  #stopped = false
  connects = 0
  /** true while the WebSocket is open. */
  get connected(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN
  }

  /** Why the connection stopped for good, when the exchange said retrying cannot help. */
  fatal: string | null = null

  constructor(session: ExchangeSession, log: Logger, options: ConnectionOptions = defaultConnectionOptions) {
    this.#session = session
    this.#log = log
    this.#options = options
  }

  start(): void {
    this.#stopped = false
    this.#connect()
  }

  stop(): void {
    this.#stopped = true
    this.#clearTimers()
    this.#socket?.close(1000, 'stopping')
    this.#socket = null
  }

  #connect(): void {
    const socket = new WebSocket(this.#session.url)
    this.#socket = socket
    let good = false
    socket.on('open', () => {
      this.connects++
      this.#lastSeen = Date.now()
      this.#session.onConnect?.()
      for (const message of this.#session.subscribeMessages()) socket.send(JSON.stringify(message))
      this.#log.info({ url: this.#session.url, attempt: this.#attempt }, 'connected and subscribed')
      this.#timers.push(
        setInterval(() => {
          if (Date.now() - this.#lastSeen > this.#options.staleAfterMs) {
            this.#log.warn({ url: this.#session.url }, 'connection stale: nothing received, not even a pong')
            socket.terminate()
          } else if (socket.readyState === WebSocket.OPEN) socket.ping()
        }, this.#options.pingIntervalMs)
      )
    })
    socket.on('pong', () => (this.#lastSeen = Date.now()))
    socket.on('message', (data, isBinary) => {
      const recvTs = Date.now()
      this.#lastSeen = recvTs
      if (!good) {
        good = true
        this.#attempt = 0 // backoff resets after the first good message
      }
      const reply = this.#session.onFrame(
        isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString(),
        recvTs
      )
      if (reply instanceof StopConnection) {
        this.fatal = reply.reason
        this.#log.error(
          { url: this.#session.url, reason: reply.reason },
          'exchange refused the connection; not retrying'
        )
        this.stop()
        return
      }
      if (reply !== undefined && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(reply))
    })
    socket.on('error', (error) =>
      this.#log.warn({ err: error.message, url: this.#session.url }, 'connection error')
    )
    socket.on('close', (code) => {
      this.#clearTimers()
      if (this.#stopped) return
      const delay = backoffMs(this.#attempt++, this.#options.reconnectMaxDelayMs)
      this.#log.warn({ code, retryInMs: delay }, 'connection closed, reconnecting')
      this.#timers.push(setTimeout(() => this.#connect(), delay))
    })
  }

  #clearTimers(): void {
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers = []
  }
}
