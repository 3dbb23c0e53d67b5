import type { Logger } from 'pino'
import WebSocket from 'ws'
import { backoffMs } from '../core/insert-errors.ts'
import type { ExchangeSession, SessionConnection } from './session.ts'

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

/**
 * One exchange WebSocket connection's lifecycle, written once: connect, subscribe, ping, stale detection,
 * reconnect with capped exponential backoff that resets after the first good message, resubscribe, and the
 * session's per-connection work (`afterConnect`), cancelled when the connection ends.
 */
export class FeedConnection {
  readonly #session: ExchangeSession
  readonly #options: ConnectionOptions
  readonly #log: Logger
  #socket: WebSocket | null = null
  /** Aborted when the current connection closes or the feed stops. */
  #lifetime: AbortController | null = null
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

  readonly #onFatal: ((reason: string) => void) | undefined

  /** `onFatal` hears why, when the exchange refuses the connection for good (the feed then exits non-zero). */
  constructor(
    session: ExchangeSession,
    log: Logger,
    options: ConnectionOptions = defaultConnectionOptions,
    onFatal?: (reason: string) => void
  ) {
    this.#session = session
    this.#log = log
    this.#options = options
    this.#onFatal = onFatal
  }

  start(): void {
    this.#stopped = false
    this.#connect()
  }

  stop(): void {
    this.#stopped = true
    this.#lifetime?.abort()
    this.#clearTimers()
    this.#socket?.close(1000, 'stopping')
    this.#socket = null
  }

  #connect(): void {
    const socket = new WebSocket(this.#session.url)
    this.#socket = socket
    const lifetime = new AbortController()
    this.#lifetime = lifetime
    const connection: SessionConnection = {
      signal: lifetime.signal,
      send: (message) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message))
      },
      sendText: (text) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(text)
      },
      stop: (reason) => {
        if (lifetime.signal.aborted) return
        this.fatal = reason
        this.#log.error({ url: this.#session.url, reason }, 'exchange refused the connection; not retrying')
        this.stop()
        this.#onFatal?.(reason)
      }
    }
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
      this.#session
        .afterConnect?.(() => lifetime.signal.aborted, connection)
        .catch((error: unknown) => {
          if (lifetime.signal.aborted) return
          this.#log.warn({ err: error, url: this.#session.url }, 'per-connection work failed; reconnecting')
          socket.terminate()
        })
    })
    socket.on('pong', () => (this.#lastSeen = Date.now()))
    socket.on('message', (data, isBinary) => {
      if (lifetime.signal.aborted) return
      const recvTs = Date.now()
      this.#lastSeen = recvTs
      if (!good) {
        good = true
        this.#attempt = 0 // backoff resets after the first good message
      }
      this.#session.onFrame(
        isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString(),
        recvTs,
        connection
      )
    })
    socket.on('error', (error) => this.#log.warn({ err: error, url: this.#session.url }, 'connection error'))
    socket.on('close', (code) => {
      lifetime.abort()
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
