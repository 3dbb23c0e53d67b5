import type { EventEmitter } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import { ErrorCodes, TickbridgeError } from '../../errors.ts'
import { portInUse } from '../../port-in-use.ts'

/** A connected client of a local exchange server: at least its socket. */
export interface SocketClient {
  readonly socket: WebSocket
}

export interface ExchangeSocketsOptions<C extends SocketClient> {
  /** Plain HTTP requests: the exchange's REST API. */
  rest(request: IncomingMessage, response: ServerResponse): void
  /**
   * A WebSocket upgrade to `url`: the status to refuse it with (e.g. '404 Not Found' for another path), or
   * null to go on. Asked first; an accepted route is still refused with 503 while disconnectFor holds.
   */
  route(url: URL): string | null
  /**
   * An accepted connection: build its client (`index` counts the connections accepted before it, from 0) and
   * wire its messages. The client is tracked until its socket closes or errors.
   */
  accept(socket: WebSocket, index: number, url: URL): C
}

/**
 * The HTTP and WebSocket server of a local exchange (sim/<exchange>/server.ts): one HTTP server for REST and
 * upgrades, the connected clients, the count of connections accepted, and the test hooks every local
 * exchange offers — drop every connection, or drop them and refuse new ones for a while (trading goes on).
 */
export class ExchangeSockets<C extends SocketClient> {
  /** The connected clients (a server may also forget one itself, e.g. when it drops it for being idle). */
  readonly clients = new Set<C>()
  readonly #server: Server
  readonly #wss = new WebSocketServer({ noServer: true })
  #accepted = 0
  #refuseUntil = 0

  constructor(options: ExchangeSocketsOptions<C>) {
    this.#server = createServer(options.rest)
    this.#server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(request.url ?? '/', 'http://localhost')
      const refusal =
        options.route(url) ?? (Date.now() < this.#refuseUntil ? '503 Service Unavailable' : null)
      if (refusal !== null) {
        socket.end(`HTTP/1.1 ${refusal}\r\n\r\n`)
        return
      }
      this.#wss.handleUpgrade(request, socket, head, (ws) => {
        const client = options.accept(ws, this.#accepted++, url)
        this.clients.add(client)
        ws.on('close', () => this.clients.delete(client))
        ws.on('error', () => this.clients.delete(client))
      })
    })
  }

  /** WebSocket connections accepted so far. */
  connections(): number {
    return this.#accepted
  }

  /** Terminates every WebSocket connection (clients reconnect). */
  dropConnections(): void {
    for (const client of this.clients) client.socket.terminate()
  }

  /** Terminates every connection and refuses new ones (503) for `ms`. */
  disconnectFor(ms: number): void {
    this.#refuseUntil = Date.now() + ms
    this.dropConnections()
  }

  /** Listens on `host` (default 127.0.0.1) and `port` (default: any free one); the bases of its URLs. */
  async listen(host = '127.0.0.1', port = 0): Promise<{ wsBase: string; restUrl: string }> {
    this.#server.listen(port, host)
    await listening(this.#server, host, port)
    const bound = (this.#server.address() as AddressInfo).port
    return { wsBase: `ws://${host}:${bound}`, restUrl: `http://${host}:${bound}` }
  }

  /** Terminates every connection and closes the server. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.dropConnections()
      this.#wss.close()
      this.#server.closeAllConnections()
      this.#server.close(() => resolve())
    })
  }
}

/** Sends `text` if the socket is open; whether it was sent. */
export function sendIfOpen(socket: WebSocket, text: string): boolean {
  if (socket.readyState !== socket.OPEN) return false
  socket.send(text)
  return true
}

/** Sends `text` to every open client that `wants` it; `onSent` hears of each client it went to. */
export function broadcast<C extends SocketClient>(
  clients: Iterable<C>,
  wants: (client: C) => boolean,
  text: string,
  onSent?: (client: C) => void
): void {
  for (const client of clients) {
    if (!wants(client) || !sendIfOpen(client.socket, text)) continue
    onSent?.(client)
  }
}

/**
 * Resolves once `server` (an HTTP or WebSocket server told to listen on `host`:`port`) listens. A taken port
 * or an address not of this machine rejects with what to do, instead of an unheard 'error' that would end
 * the process with a stack trace.
 */
export function listening(server: EventEmitter, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening)
      reject(
        error.code === 'EADDRINUSE'
          ? portInUse(
              port,
              host,
              'the simulator',
              'Pick another port with --port, or stop what holds this one.'
            )
          : new TickbridgeError(
              ErrorCodes.START_FAILED,
              `The simulator cannot listen on ${host}:${port}: ${error.message}`,
              {
                cause: error,
                hint: 'Check --host: it must be an address of this machine (127.0.0.1, 0.0.0.0, or a local interface).'
              }
            )
      )
    }
    const onListening = () => {
      server.off('error', onError)
      resolve()
    }
    server.once('error', onError)
    server.once('listening', onListening)
  })
}
