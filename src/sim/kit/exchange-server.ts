import type { ExchangeSockets, SocketClient } from './sockets.ts'
import type { TradePacer } from './trades.ts'

/** What every local exchange server (sim/<exchange>/server.ts) takes and offers; each extends these with its own. */
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

/**
 * The hooks every local exchange server offers, from its sockets, its trade pacer and its timers (cleared on
 * close). `resumeDropsFraction`: resuming forgets the part of a trade that was owed.
 */
export function commonHooks<C extends SocketClient>(
  sockets: ExchangeSockets<C>,
  pacer: TradePacer,
  timers: NodeJS.Timeout[],
  resumeDropsFraction = false
): Pick<
  RunningExchangeServer,
  'dropConnections' | 'disconnectFor' | 'pause' | 'resume' | 'connections' | 'close'
> {
  return {
    dropConnections: () => sockets.dropConnections(),
    disconnectFor: (ms) => sockets.disconnectFor(ms),
    pause: () => pacer.pause(),
    resume: () => pacer.resume(resumeDropsFraction),
    connections: () => sockets.connections(),
    close: () => {
      for (const timer of timers) clearInterval(timer)
      return sockets.close()
    }
  }
}
