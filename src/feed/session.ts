/**
 * The contract between the one WebSocket lifecycle (connection.ts) and an exchange (exchanges/<name>.ts).
 * The connection owns sockets, timers, backoff and cancellation; a session owns only what the exchange
 * says: its URL, what to send after connecting, how to read a frame, and (optionally) work to do once per
 * connection, such as fetching order-book snapshots.
 */
export interface ExchangeSession {
  url: string
  /** Messages to send after each (re)connect, in order. */
  subscribeMessages(): unknown[]
  /** Called when a new connection opens, before subscribing (reset per-connection state here). */
  onConnect?(): void
  /** Called for every text frame with its receive time; replies and refusals go through `connection`. */
  onFrame(text: string, recvTs: number, connection: SessionConnection): void
  /**
   * Started once per connection, after subscribing, and owned by it: e.g. book snapshots over REST.
   * `shouldCancel()` turns true (and `connection.signal` aborts) when that connection closes or the feed
   * stops; the work must then end without touching state. A rejection is logged and reconnects.
   */
  afterConnect?(shouldCancel: () => boolean, connection: SessionConnection): Promise<void>
}

/** One connection as a session sees it. */
export interface SessionConnection {
  /** Sends a message (JSON-encoded) on this connection; dropped once it has closed. */
  send(message: unknown): void
  /** Sends `text` as it is, not JSON-encoded (e.g. OKX's keep-alive `ping`); dropped once it has closed. */
  sendText(text: string): void
  /** Retrying cannot help (e.g. the API key was refused): close for good with this reason, no reconnect. */
  stop(reason: string): void
  /** Aborted when this connection closes or the feed stops. */
  readonly signal: AbortSignal
}
