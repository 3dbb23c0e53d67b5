/** What every local exchange server (sim/*-server.ts) takes and offers; each extends these with its own. */
export interface ExchangeServerOptions {
  port?: number
  host?: string
  /** Symbols as the exchange spells them. */
  symbols: string[]
  seed: number
  /** Trades per second over all symbols. */
  tradesPerSecond: number
}

export interface RunningExchangeServer {
  /** The WebSocket URL a feed connects to. */
  url: string
  /** The REST base. */
  restUrl: string
  /** Terminates every WebSocket connection (clients reconnect). */
  dropConnections(): void
  /** Terminates every connection and refuses new ones for `ms` while trading goes on (a gap to backfill). */
  disconnectFor(ms: number): void
  /** Stops (and resumes) trades and book changes, so a client can catch up with a still book. */
  pause(): void
  resume(): void
  /** WebSocket connections accepted so far (the connection indexes of the trades sent). */
  connections(): number
  close(): Promise<void>
}
